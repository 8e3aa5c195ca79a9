"""Phone numbers for tests: a fresh valid mainland mobile number each call, so tests never share a member."""

from __future__ import annotations

import uuid


def new_phone(prefix: str = "137") -> str:
    """``prefix`` (three digits, ``1[3-9]x``) and eight random digits: ``13712345678``."""
    return f"{prefix}{uuid.uuid4().int % 10**8:08d}"
