"""Staff accounts (agents and admins) with bcrypt-hashed passwords.

bcrypt reads at most 72 bytes and the binding raises on longer input (a 500 on a long password before), so a
password is never passed to it as it is: new hashes are bcrypt over base64(SHA-256(password)) (44 bytes whatever
the password's length), stored with the ``PREHASHED`` prefix. A hash without the prefix predates this (bcrypt over
the password itself, which was then at most 72 bytes): it is still checked that way, a password over 72 bytes cannot
match it, and it is replaced by a prefixed hash at the account's next successful sign-in (``_upgrade_legacy_account``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from chalicelib.core import clock
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.identity import sign_in, staff_guard, staff_mfa
from chalicelib.identity.models import STAFF_DIRECTORY, STAFF_SK, StaffIdItem, StaffItem, staff_id_pk, staff_pk

SK = STAFF_SK
STAFF_ROLES = ("agent", "supervisor", "admin", "auditor")
BCRYPT_ROUNDS = 12
PASSWORD_MIN, PASSWORD_MAX = 8, 128  # characters (the request schemas say the same)
PREHASHED = "sha256$"
BCRYPT_MAX_BYTES = 72
# Compared against when the username is unknown, so a miss costs the same time as a wrong password.
_DUMMY_HASH = b"$2b$12$C6UzMDM.H6dfI/f/IKcEeO5pVq9F6U0wW3d1dZl1cZ1Vv1uQG7y7S"


def _bcrypt() -> Any:  # imported on first use: keeps bcrypt off the cold-start path of every other route
    import bcrypt

    return bcrypt


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode()).digest())


def hash_password(password: str, rounds: int = BCRYPT_ROUNDS) -> str:
    hashed: bytes = _bcrypt().hashpw(_prehash(password), _bcrypt().gensalt(rounds))
    return PREHASHED + hashed.decode()


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (either scheme of the module docstring); one bcrypt run."""
    if stored.startswith(PREHASHED):
        return bool(_bcrypt().checkpw(_prehash(password), stored[len(PREHASHED):].encode()))
    raw = password.encode()
    if len(raw) > BCRYPT_MAX_BYTES:
        _bcrypt().checkpw(_prehash(password), _DUMMY_HASH)  # the same time as a real check
        return False
    return bool(_bcrypt().checkpw(raw, stored.encode()))


def is_legacy_hash(stored: str) -> bool:
    return not stored.startswith(PREHASHED)


def new_staff_item(username: str, password: str, role: str, staff_id: str | None = None,
                   rounds: int = BCRYPT_ROUNDS) -> StaffItem:
    """A staff account's item (listed in the admins' directory), its password hashed; checks role and length."""
    if role not in STAFF_ROLES:
        raise ValueError(f"role must be one of {STAFF_ROLES}")
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValueError(f"a staff password has {PASSWORD_MIN}-{PASSWORD_MAX} characters")
    now = clock.iso()
    return StaffItem(
        pk=staff_pk(username), sk=SK, staff_id=staff_id or "s_" + secrets.token_hex(8), username=username, role=role,
        password_hash=hash_password(password, rounds), gsi1pk=STAFF_DIRECTORY, gsi1sk=username, created_at=now,
        updated_at=now,
    )


def create_staff(username: str, password: str, role: str, rounds: int = BCRYPT_ROUNDS) -> str:
    """Create or replace a staff account (seeds, tests); returns its staff ID. Admins use ``staff_accounts``."""
    try:
        staff_id: str | None = StaffItem.get(staff_pk(username), SK).staff_id
    except StaffItem.DoesNotExist:
        staff_id = None
    item = new_staff_item(username, password, role, staff_id, rounds)
    tx = Tx()
    tx.put("staff", item)
    tx.put("staff_id", StaffIdItem(pk=staff_id_pk(item.staff_id), sk=SK, username=username))
    tx.commit()
    return item.staff_id


def authenticate(username: str, password: str, client_ip: str) -> StaffItem:
    """The enabled account whose password this is; 401 ``invalid_credentials`` otherwise (counted), 429 while the
    account or the address is locked by its failures (``staff_guard``: checked before bcrypt runs)."""
    staff_guard.refuse_if_locked(username, client_ip)
    try:
        staff = StaffItem.get(staff_pk(username), SK)
    except StaffItem.DoesNotExist:
        _bcrypt().checkpw(_prehash(password), _DUMMY_HASH)
        staff_guard.record_failure(username, client_ip)
        raise AppError("invalid_credentials") from None
    if not check_password(password, staff.password_hash) or staff.disabled:
        logger.info("staff login refused", extra={"staff_id": staff.staff_id})
        staff_guard.record_failure(username, client_ip)
        raise AppError("invalid_credentials")
    if is_legacy_hash(staff.password_hash):
        _upgrade_legacy_account(staff, password)
    return staff


def login(username: str, password: str, client_ip: str, totp: str | None = None) -> dict[str, Any]:
    """Tokens for the right password (and authenticator code, when one is enrolled or the role needs one)."""
    staff = authenticate(username, password, client_ip)
    try:
        staff_mfa.check_sign_in(staff, totp)
    except AppError as err:
        if err.code == "invalid_totp":  # guessing codes counts as guessing passwords does
            staff_guard.record_failure(username, client_ip)
        raise
    staff_guard.forget_account(username)
    logger.info("staff signed in", extra={"staff_id": staff.staff_id, "role": staff.role})
    return sign_in.staff_tokens(staff.staff_id, staff.role, staff.username, int(staff.session_gen or 0))


def start_totp(username: str, password: str, client_ip: str) -> dict[str, str]:
    """Begin enrolling an authenticator, with the password (``staff_mfa``)."""
    return staff_mfa.start(authenticate(username, password, client_ip))


def confirm_totp(username: str, password: str, client_ip: str, code: str) -> dict[str, bool]:
    """Turn the authenticator on with one of its codes; a wrong code counts as a failed sign-in."""
    account = authenticate(username, password, client_ip)
    try:
        return staff_mfa.confirm(account, code)
    except AppError as err:
        if err.code == "invalid_totp":
            staff_guard.record_failure(username, client_ip)
        raise


def _upgrade_legacy_account(staff: StaffItem, password: str) -> None:
    """An account stored before the pre-hash (module docstring) also predates the admins' list and its staff-ID
    item (``staff_accounts``): at its first sign-in since, the hash is replaced and both are added, in one
    transaction, unless the password changed meanwhile."""
    tx = Tx()
    tx.update("staff", StaffItem(pk=staff.pk, sk=SK), [
        StaffItem.password_hash.set(hash_password(password)),
        StaffItem.gsi1pk.set(STAFF_DIRECTORY), StaffItem.gsi1sk.set(staff.username),
    ], StaffItem.password_hash == staff.password_hash)
    tx.put("staff_id", StaffIdItem(pk=staff_id_pk(staff.staff_id), sk=SK, username=staff.username))
    try:
        tx.commit()
    except TxCancelled:  # changed meanwhile: the sign-in stands, the next one tries again
        logger.warning("staff account not upgraded", extra={"staff_id": staff.staff_id})
