"""Staff accounts (agents and admins) with bcrypt-hashed passwords."""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.identity import sign_in
from chalicelib.identity.models import StaffItem

SK = "STAFF"
STAFF_ROLES = ("agent", "admin")
BCRYPT_ROUNDS = 12
# Compared against when the username is unknown, so a miss costs the same time as a wrong password.
_DUMMY_HASH = b"$2b$12$C6UzMDM.H6dfI/f/IKcEeO5pVq9F6U0wW3d1dZl1cZ1Vv1uQG7y7S"


def _bcrypt() -> Any:  # imported on first use: keeps bcrypt off the cold-start path of every other route
    import bcrypt

    return bcrypt


def hash_password(password: str, rounds: int = BCRYPT_ROUNDS) -> str:
    hashed: bytes = _bcrypt().hashpw(password.encode(), _bcrypt().gensalt(rounds))
    return hashed.decode()


def create_staff(username: str, password: str, role: str, rounds: int = BCRYPT_ROUNDS) -> str:
    """Create or replace a staff account; returns its staff ID."""
    if role not in STAFF_ROLES:
        raise ValueError(f"role must be one of {STAFF_ROLES}")
    try:
        staff_id = StaffItem.get(f"STAFF#{username}", SK).staff_id
    except StaffItem.DoesNotExist:
        staff_id = "s_" + secrets.token_hex(8)
    StaffItem(
        pk=f"STAFF#{username}", sk=SK, staff_id=staff_id, username=username, role=role,
        password_hash=hash_password(password, rounds),
    ).save(add_version_condition=False)
    return staff_id


def login(username: str, password: str) -> dict[str, Any]:
    bcrypt = _bcrypt()
    try:
        staff = StaffItem.get(f"STAFF#{username}", SK)
    except StaffItem.DoesNotExist:
        bcrypt.checkpw(password.encode(), _DUMMY_HASH)
        raise AppError("invalid_credentials") from None
    if not bcrypt.checkpw(password.encode(), staff.password_hash.encode()) or staff.disabled:
        logger.info("staff login refused", extra={"staff_id": staff.staff_id})
        raise AppError("invalid_credentials")
    logger.info("staff signed in", extra={"staff_id": staff.staff_id, "role": staff.role})
    return sign_in.staff_tokens(staff.staff_id, staff.role, staff.username)
