"""An authenticator app's algorithm, written from RFC 6238 (HMAC-SHA1 over the 30-second step, RFC 4226's dynamic
truncation), so the tests check the app's TOTP against it rather than against the library the app uses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from datetime import datetime


def authenticator(secret_b32: str, at: datetime, digits: int = 6) -> str:
    """What an authenticator app shows at ``at`` for the base32 ``secret_b32``."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at.timestamp()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)
