"""What a request carries, read and checked before a view runs: the ``RequestContext`` a view receives, its
body and query validated against the route's models, ``X-Channel``, ``Idempotency-Key`` and the base path."""

from __future__ import annotations

import re
import uuid
from typing import Any, NamedTuple

from pydantic import ValidationError

from chalicelib.core.config import settings
from chalicelib.core.errors import AppError
from chalicelib.core.http.principal import Principal
from chalicelib.core.http.route_spec import CHANNELS, RouteSpec


class RequestContext(NamedTuple):
    request_id: str
    principal: Principal | None
    body: Any
    query: Any
    headers: dict[str, str]
    channel: str | None
    client_ip: str
    english: bool
    idempotency_key: str | None = None
    base_path: str = ""  # what is in front of the routes in the client's URL (``/api``: the stage); see base_path_of
    raw_body: bytes = b""  # the body as sent (a signed notification is verified over its exact bytes)

    @property
    def customer_id(self) -> str:
        """The signed-in member's customer ID (member routes only)."""
        assert self.principal is not None and self.principal.customer_id is not None
        return self.principal.customer_id


def request_id_of(request: Any) -> str:
    ctx = getattr(request, "context", None) or {}
    return str(ctx.get("requestId") or uuid.uuid4())


def _issue(err: Any) -> str:
    """Pydantic's message, except that a length checked after a validator (``Text``, ``MultilineText``) is about the
    characters of text, not "items" ("Value should have at least 10 items after validation")."""
    if err["type"] in ("too_short", "too_long") and isinstance(err.get("input"), str):
        ctx = err.get("ctx") or {}
        bound = "at least" if err["type"] == "too_short" else "at most"
        limit = ctx.get("min_length") if err["type"] == "too_short" else ctx.get("max_length")
        return f"String should have {bound} {limit} character{'' if limit == 1 else 's'}"
    return str(err["msg"])


def validation_details(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    details = []
    for err in exc.errors(include_url=False):  # the input is read to tell text from lists, never sent back
        loc = ".".join(str(p) for p in err.get("loc", ()))
        details.append({"field": f"{prefix}{loc}" if loc else prefix.rstrip(".") or "body", "issue": _issue(err)})
    return details


def body_of(spec: RouteSpec, raw: bytes | None) -> Any:
    """The body as the route's ``body`` model (413 over ``MAX_BODY_BYTES``, 400 on bad JSON or fields)."""
    model = spec.body
    if model is None:
        return None
    from chalicelib.core.http.models import parse_body  # with the request models, built on first use

    if len(raw or b"") > settings().max_body_bytes:
        raise AppError("payload_too_large")
    try:
        return parse_body(model, raw or b"{}")
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise AppError("malformed_json") from None
        if any(e["type"] == "model_type" and not e["loc"] for e in exc.errors()):
            raise AppError("validation_error", details=[{"field": "body", "issue": "must be a JSON object"}]) from None
        raise AppError("validation_error", details=validation_details(exc)) from None


def query_of(spec: RouteSpec, params: dict | None) -> Any:
    """The query string as the route's ``query`` model (400 on bad fields)."""
    model = spec.query
    if model is None:
        return None
    try:
        return model.model_validate(dict(params or {}))
    except ValidationError as exc:
        raise AppError("validation_error", details=validation_details(exc)) from None


_SAFE_PATH = re.compile(r"^(/[A-Za-z0-9._~-]+)*$")


def base_path_of(request: Any) -> str:
    """The path prefix in front of the routes as the client sees them: API Gateway's ``requestContext.path`` less
    the event's ``path`` (the stage, or a custom domain's base path); empty on the local stack, which serves the
    routes at the root (its events still name a stage). Only plain path segments, else empty."""
    if settings().is_local:
        return ""
    event = request.to_original_event() or {}
    full = str((event.get("requestContext") or {}).get("path") or "").rstrip("/")
    own = str(event.get("path") or "").rstrip("/")
    prefix = full[: len(full) - len(own)] if own and full.endswith(own) else ""
    return prefix if _SAFE_PATH.match(prefix) else ""


def channel_of(headers: dict[str, str]) -> str | None:
    """``X-Channel``, one of ``CHANNELS`` or absent (400 otherwise)."""
    channel = headers.get("x-channel")
    if channel is None or channel == "":
        return None
    if channel not in CHANNELS:
        raise AppError(
            "validation_error", details=[{"field": "X-Channel", "issue": f"must be one of {', '.join(CHANNELS)}"}]
        )
    return channel


def idempotency_key_of(spec: RouteSpec, headers: dict[str, str]) -> str | None:
    """``Idempotency-Key``: required (1-64 characters) on an idempotent route, passed on as given elsewhere."""
    key = headers.get("idempotency-key")
    if not spec.idempotent:
        return key
    if not key:
        raise AppError("idempotency_key_required")
    if len(key) > 64:
        raise AppError("validation_error", details=[{"field": "Idempotency-Key", "issue": "must be 1-64 characters"}])
    return key
