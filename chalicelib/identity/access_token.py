"""Short-lived JWT access tokens, checked without a database call (the route layer calls ``verify_access_token``).

HS256 with a server-side secret; only HS256 is accepted on the way in (``alg=none`` and algorithm
confusion are refused by pinning ``algorithms``). Expiry, issuer and audience are required.
"""

from __future__ import annotations

import time
import uuid

import jwt

from chalicelib.core.config import settings
from chalicelib.core.errors import AppError
from chalicelib.core.http.principal import Principal

ALGORITHM = "HS256"
AUDIENCE = "member-portal-api"
ROLES = ("member", "agent", "supervisor", "admin", "auditor")
_LOCAL_DEV_SECRET = "local-dev-secret-not-for-deployment-0123456789"


def signing_secret() -> str:
    cfg = settings()
    if cfg.jwt_secret:
        return cfg.jwt_secret
    if cfg.is_local:
        return _LOCAL_DEV_SECRET
    raise RuntimeError("JWT_SECRET is not set")


def issue_access_token(principal: Principal, now: float | None = None) -> tuple[str, int]:
    """Return ``(token, expires_in_seconds)``."""
    cfg = settings()
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": cfg.jwt_issuer,
        "aud": AUDIENCE,
        "sub": principal.subject,
        "role": principal.role,
        "iat": issued,
        "exp": issued + cfg.access_token_ttl,
        "jti": uuid.uuid4().hex,
    }
    if principal.customer_id:
        claims["cid"] = principal.customer_id
    if principal.staff_id:
        claims["sid"] = principal.staff_id
    if principal.mergeable:
        claims["mrg"] = 1  # see identity/merged_tokens.py: only these tokens may need a merge followed
    return jwt.encode(claims, signing_secret(), algorithm=ALGORITHM), cfg.access_token_ttl


def verify_access_token(token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            signing_secret(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=settings().jwt_issuer,
            options={"require": ["exp", "iat", "sub", "role", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise AppError("token_expired") from None
    except jwt.PyJWTError:
        raise AppError("invalid_token") from None
    role = claims.get("role")
    if role not in ROLES:
        raise AppError("invalid_token")
    principal = Principal(
        subject=str(claims["sub"]), role=role, customer_id=claims.get("cid"), staff_id=claims.get("sid"),
        mergeable=bool(claims.get("mrg")),
    )
    if role == "member" and not principal.customer_id:
        raise AppError("invalid_token")
    return principal
