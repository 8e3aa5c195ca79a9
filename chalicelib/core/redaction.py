"""Keep secrets, codes, tokens and full phone numbers out of logs.

Used by the log formatter, so every log line passes through it, whatever the caller wrote.
"""

from __future__ import annotations

import re
from typing import Any

# Mainland mobile numbers, optionally with +86 / 86 prefix, not part of a longer digit run.
_PHONE = re.compile(r"(?<!\d)(?:\+?86)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")

SENSITIVE_KEYS = frozenset(
    {
        "otp", "code", "password", "secret", "token", "access_token", "refresh_token", "session_key",
        "authorization", "x-api-key", "api_key", "js_code", "appsecret", "check_in_code",
    }
)


def mask_phone(phone: str) -> str:
    """138****5678 for display; shorter inputs are masked whole."""
    digits = phone[-11:]
    if len(digits) < 7:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


def redact_text(text: str) -> str:
    text = _JWT.sub("[token]", text)
    text = _BEARER.sub(r"\1[token]", text)
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def redact(value: Any, key: str | None = None) -> Any:
    """Return a copy of ``value`` safe to log: sensitive keys blanked, phones masked."""
    if key is not None and key.lower() in SENSITIVE_KEYS:
        return "[redacted]"
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value
