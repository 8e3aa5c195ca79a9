"""Recognition tokens: who the member is, told to one partner for 10 minutes and to nobody else.

A token is the member's customer ID and its expiry, sealed with AES-256-GCM under a key derived from the server's
signing secret, with the partner's ID as associated data: the partner cannot read the customer ID out of it, and
another partner's key cannot open it. Nothing is stored, so recognising a member writes nothing (a stranger's phone
and a member's cost the same).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.core import clock
from chalicelib.core.errors import AppError
from chalicelib.identity.public import signing_secret

TTL_SECONDS = 600
PREFIX = "prt_"


def _key() -> bytes:
    return hmac.new(signing_secret().encode(), b"partner-recognition-token/v1", hashlib.sha256).digest()


def issue(partner_id: str, customer_id: str) -> str:
    nonce = os.urandom(12)
    payload = json.dumps({"c": customer_id, "e": clock.epoch() + TTL_SECONDS}, separators=(",", ":")).encode()
    sealed = AESGCM(_key()).encrypt(nonce, payload, partner_id.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def open_token(partner_id: str, token: str) -> str:
    """The customer ID ``token`` names for ``partner_id``; 400 ``partner_token_invalid`` if forged, expired or
    issued to another partner."""
    invalid = AppError("partner_token_invalid", details=[{"field": "token", "issue": "recognise the member again"}])
    if not token.startswith(PREFIX):
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(token[len(PREFIX):] + "=" * (-len(token) % 4))
        payload = json.loads(AESGCM(_key()).decrypt(raw[:12], raw[12:], partner_id.encode()))
    except (ValueError, InvalidTag, TypeError):
        raise invalid from None
    if not isinstance(payload, dict) or int(payload.get("e", 0)) <= clock.epoch():
        raise invalid
    return str(payload["c"])
