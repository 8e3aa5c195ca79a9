"""What an error code means to a client: its HTTP status and its message in Chinese and English."""

from __future__ import annotations

from typing import NamedTuple


class ErrorSpec(NamedTuple):
    status: int
    zh: str
    en: str
