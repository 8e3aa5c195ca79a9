"""What an error code means to a client: its HTTP status and its message in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    zh: str
    en: str
