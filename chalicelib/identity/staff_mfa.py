"""An optional TOTP second factor for staff (RFC 6238: 30 s steps, 6 digits, SHA-1, what authenticator apps use;
``pyotp`` computes it), required for admins when ``STAFF_MFA_REQUIRED`` is on.

Enrolment needs the password, not a session, so that an admin the setting already requires can enrol before their
first sign-in: ``start`` returns a fresh secret and its ``otpauth://`` URI (kept pending), ``confirm`` with a code of
it turns it on. At sign-in a code of the step before, the current step or the step after is accepted (clock drift),
each step once (a code seen on a shoulder or in a log cannot be replayed). The secret is stored sealed (AES-GCM
under a key derived from the token signing secret), so a copy of the table alone does not give the codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pynamodb.exceptions import UpdateError

from chalicelib.core import clock
from chalicelib.core.config import settings
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.identity.access_token import signing_secret
from chalicelib.identity.models import StaffItem

ISSUER = "Member portal"
REQUIRED_FOR = frozenset({"admin", "supervisor"})
DRIFT_STEPS = 1


def _pyotp() -> Any:  # imported on first use: only the staff sign-in needs it
    import pyotp

    return pyotp


def _key() -> bytes:
    return hashlib.sha256(b"staff-totp-seal:" + signing_secret().encode()).digest()


def seal(secret: str, username: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key()).encrypt(nonce, secret.encode(), username.encode())
    return base64.b64encode(nonce + sealed).decode()


def unseal(sealed: str, username: str) -> str:
    raw = base64.b64decode(sealed)
    try:
        return AESGCM(_key()).decrypt(raw[:12], raw[12:], username.encode()).decode()
    except InvalidTag:
        raise RuntimeError("a staff TOTP secret does not open: was the signing secret rotated?") from None


def required(account: StaffItem) -> bool:
    return settings().staff_mfa_required and account.role in REQUIRED_FOR


def start(account: StaffItem) -> dict[str, str]:
    """A new secret, pending until confirmed; 409 ``mfa_already_enabled`` once one is on."""
    if account.totp_secret:
        raise AppError("mfa_already_enabled")
    secret = _pyotp().random_base32()
    account.update(actions=[StaffItem.totp_pending.set(seal(secret, account.username))])
    uri = _pyotp().TOTP(secret).provisioning_uri(name=account.username, issuer_name=ISSUER)
    return {"secret": secret, "otpauth_uri": uri}


def confirm(account: StaffItem, code: str) -> dict[str, bool]:
    """Turn the pending secret on with one of its codes (401 ``invalid_totp`` otherwise)."""
    if account.totp_secret:
        raise AppError("mfa_already_enabled")
    if not account.totp_pending:
        raise AppError("mfa_not_started")
    step = _matching_step(unseal(account.totp_pending, account.username), code)
    if step is None:
        raise AppError("invalid_totp")
    account.update(
        actions=[StaffItem.totp_secret.set(account.totp_pending), StaffItem.totp_pending.remove(),
                 StaffItem.totp_last_step.set(step)],
        condition=StaffItem.totp_pending == account.totp_pending,
    )
    logger.info("staff authenticator enrolled", extra={"staff_id": account.staff_id})
    return {"mfa_enabled": True}


def check_sign_in(account: StaffItem, code: str | None) -> None:
    """After the right password: the code when one is enrolled (each step once), enrolment when the role needs it.

    Raises 401 ``mfa_required`` (no code), 401 ``invalid_totp`` (wrong or replayed), 403 ``mfa_enrolment_required``.
    """
    if not account.totp_secret:
        if required(account):
            raise AppError("mfa_enrolment_required")
        return
    if not code:
        raise AppError("mfa_required")
    step = _matching_step(unseal(account.totp_secret, account.username), code)
    if step is None:
        raise AppError("invalid_totp")
    try:
        account.update(
            actions=[StaffItem.totp_last_step.set(step)],
            condition=StaffItem.totp_last_step.does_not_exist() | (StaffItem.totp_last_step < step),
        )
    except UpdateError:
        raise AppError("invalid_totp") from None  # this step's code was used already


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (of now, the one before or after) whose code is ``code``, or None."""
    totp = _pyotp().TOTP(secret)
    now = clock.now()
    current = totp.timecode(now)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(current + offset), code):
            return int(current + offset)
    return None
