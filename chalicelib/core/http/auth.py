"""Who is calling: the route's auth level checked against the bearer token, the integration key or a partner's key.

How tokens and keys are verified is identity's and the partners area's business: ``app.py`` wires it with
``configure_auth``; this module only knows which header each level reads and which roles it admits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.core.errors import AppError
from chalicelib.core.http.principal import Principal
from chalicelib.core.http.route_spec import ROLES_FOR_AUTH, RouteSpec


class _Verifiers:
    token: Callable[[str], Principal] | None = None
    api_key: Callable[[str], bool] | None = None
    partner_key: Callable[[str], Principal | None] | None = None


_verifiers = _Verifiers()


def configure_auth(verify_token: Callable[[str], Principal], verify_api_key: Callable[[str], bool],
                   verify_partner_key: Callable[[str], Principal | None] | None = None) -> None:
    """How bearer tokens and API keys are checked (identity's business) and partner keys (the partners area's):
    wired by ``app.py``. A partner key's principal has role ``partner`` and the partner's ID as subject."""
    _verifiers.token, _verifiers.api_key = verify_token, verify_api_key
    _verifiers.partner_key = verify_partner_key


def _verifier(which: str) -> Callable[[str], Any]:
    verify: Callable[[str], Any] | None = getattr(_verifiers, which)
    if verify is None:
        raise RuntimeError("routing.configure_auth was not called (app.py wires it)")
    return verify


def authenticate(spec: RouteSpec, headers: dict[str, str]) -> Principal | None:
    """The caller the route's auth level admits (``None`` for public and integration-key routes); 401 or 403."""
    if spec.auth == "public":
        return None
    if spec.auth == "api_key":
        key = headers.get("x-api-key", "")
        if not key or not _verifier("api_key")(key):
            raise AppError("invalid_api_key")
        return None
    if spec.auth == "partner":
        key = headers.get("x-api-key", "")
        partner: Principal | None = _verifier("partner_key")(key) if key else None
        if partner is None:
            raise AppError("invalid_api_key")
        return partner
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AppError("unauthorized")
    principal: Principal = _verifier("token")(token.strip())
    if principal.role not in ROLES_FOR_AUTH[spec.auth]:
        raise AppError("forbidden")
    return principal
