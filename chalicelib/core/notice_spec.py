"""What a notification template says: its title and body in Chinese and English, and the kind members read.

Areas declare their templates in their manifest (``Area.notices``); ``core.notifications`` assembles them with its
own into one catalogue, the way ``core.errors`` assembles error codes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NoticeSpec:
    """``{field}`` in a text is filled from the notification's data; ``kind`` defaults to the template's name."""

    title: str
    body: str
    title_en: str
    body_en: str
    kind: str = ""
