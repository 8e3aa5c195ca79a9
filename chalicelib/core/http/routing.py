"""Declarative routes: one decorator gives a view its auth, validation, error envelope and OpenAPI entry.

Every route is declared through ``Api.route``, which records a ``RouteSpec`` in ``REGISTRY``. The
OpenAPI document and the authorisation-matrix test both read that registry, so what is served, what
is documented and what is checked cannot drift apart.

A view receives a ``RequestContext`` (the validated body and query, the caller, the channel) and
the path parameters, and returns a dict (sent with the route's status) or a ``Reply``.

Request and response models live in ``chalicelib/api/schemas/<area>.py`` and routes name them as
strings (``body="identity.auth_schemas.AppLogin"``): they are built when a route first needs them, not at cold start.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import uuid
from collections.abc import Callable, Mapping
from functools import cache, wraps
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib.core import kpis
from chalicelib.core.audit import scope as audit_scope
from chalicelib.core.config import settings
from chalicelib.core.errors import CATALOGUE, AppError, error_body, wants_english
from chalicelib.core.http.principal import Principal
from chalicelib.core.http.principal import current as caller
from chalicelib.core.observability import logger, tag_route
from chalicelib.core.results import Result

Auth = Literal["public", "member", "staff", "agent", "supervisor", "auditor", "admin", "api_key", "partner"]
# ``partner``: an alliance merchant's own key (``X-Api-Key``), verified by the partners area; it admits that partner
# to the partner routes only (an integration key or a bearer token is refused there, and a partner key everywhere else).
CHANNELS = ("app", "miniprogram", "wechat_oa", "store", "hotline")

# Which token roles each auth level admits. Agents' routes are open to supervisors and admins too; ``staff`` (every
# staff role, the auditor's read-only 360 view among them); ``supervisor``: who approves what a maker asked for;
# ``auditor``: the audit trail (auditors and admins), read-only.
ROLES_FOR_AUTH: dict[str, frozenset[str]] = {
    "member": frozenset({"member"}),
    "staff": frozenset({"agent", "supervisor", "admin", "auditor"}),
    "agent": frozenset({"agent", "supervisor", "admin"}),
    "supervisor": frozenset({"supervisor", "admin"}),
    "auditor": frozenset({"auditor", "admin"}),
    "admin": frozenset({"admin"}),
}


ModelRef = type[BaseModel] | str | None
"""A pydantic model, or a string naming one (see the module docstring).

Named models are imported on first use, not when the app is imported: building pydantic classes
is the largest part of our own cold-start cost, and one Lambda container rarely serves every route.
"""



@cache
def _resolve_named(ref: str) -> type[BaseModel]:
    module, _, name = ref.rpartition(".")
    model: type[BaseModel] = getattr(importlib.import_module(module), name)
    return model


def default_schemas(import_name: str) -> str:
    """``chalicelib.points.api`` -> ``chalicelib.points.schemas``; ``...auth_api`` -> ``...auth_schemas``."""
    package, _, module = import_name.rpartition(".")
    return f"{package}.{module[: -len('api')]}schemas" if module.endswith("api") else f"{package}.schemas"


def area_of(module: str) -> str:
    """``chalicelib.points.admin_api`` -> ``points``; the core's own (``chalicelib.core.http.health``) -> ``core``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "chalicelib" else parts[0]


def resolve_model(ref: ModelRef) -> type[BaseModel] | None:
    return _resolve_named(ref) if isinstance(ref, str) else ref


class RouteSpec(NamedTuple):
    path: str
    method: str
    auth: Auth
    summary: str
    tag: str
    status: int = 200
    body_ref: ModelRef = None
    query_ref: ModelRef = None
    response_ref: ModelRef = None
    errors: tuple[str, ...] = ()
    idempotent: bool = False
    local_only: bool = False
    examples: Mapping[str, Any] = MappingProxyType({})
    name: str = ""
    # Success statuses other than ``status`` that the use case answers (a repeat that creates nothing: 200; accepted
    # for retry: 202), each with what it means; the OpenAPI document lists them.
    other_statuses: Mapping[int, str] = MappingProxyType({})
    # What the success body is: JSON unless a route serves files (the console's static files).
    media_types: tuple[str, ...] = ("application/json",)
    # Bodies of ``other_statuses`` whose shape is not the route's ``response`` (a 202 accepted for retry); a repeat
    # that answers 200 where the route creates with 201 is documented with ``response``.
    other_responses: Mapping[int, ModelRef] = MappingProxyType({})
    # An ``Idempotency-Key`` the route takes when given (a repeat then answers the first answer) but does not require.
    optional_idempotency_key: bool = False
    # The body of the route's error responses when it is not the plain envelope (a subclass of ``ErrorEnvelope``
    # carrying what a caller's protocol also wants: WeChat Pay's ``code``/``message``).
    error_response: ModelRef = None
    description: str = ""  # the view's docstring: the operation's description in the document
    area: str = ""  # the area package the view lives in (``points``): the operation's tag

    @property
    def body(self) -> type[BaseModel] | None:
        return resolve_model(self.body_ref)

    @property
    def query(self) -> type[BaseModel] | None:
        return resolve_model(self.query_ref)

    @property
    def response(self) -> type[BaseModel] | None:
        return resolve_model(self.response_ref)

    @property
    def error_model(self) -> type[BaseModel] | None:
        return resolve_model(self.error_response)

    @property
    def other_models(self) -> dict[int, type[BaseModel]]:
        resolved = {status: resolve_model(ref) for status, ref in self.other_responses.items()}
        return {status: model for status, model in resolved.items() if model is not None}


REGISTRY: list[RouteSpec] = []
_NAMES: set[str] = set()  # the views' names, unique: they are the OpenAPI operationIds


class Reply(NamedTuple):
    """A view's answer with its own status or headers. ``raw``: ``body`` is text sent as it is (with the
    ``Content-Type`` the view gives in ``headers``), not JSON."""

    body: Any
    status: int | None = None
    headers: Mapping[str, str] = MappingProxyType({})
    raw: bool = False


OUTCOME_STATUS = {"ok": 200, "created": 201, "accepted": 202}
REPLAY_HEADER = "Idempotent-Replayed"


def as_reply(result: Any) -> Reply:
    """A view's return value as a reply: a ``Reply`` as it is, a use case's ``Result`` by its outcome (201 created,
    202 accepted for retry, a replay marked ``Idempotent-Replayed: true``), anything else as the body."""
    if isinstance(result, Reply):
        return result
    if isinstance(result, Result):
        return Reply(result.body, OUTCOME_STATUS[result.outcome], {REPLAY_HEADER: "true"} if result.replayed else {})
    return Reply(result)


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


def request_id_of(request: Any) -> str:
    ctx = getattr(request, "context", None) or {}
    return str(ctx.get("requestId") or uuid.uuid4())


def envelope_response(
    code: str, request_id: str, english: bool, details: list | None = None, headers: dict | None = None
) -> Response:
    return Response(
        body=json.dumps(error_body(code, request_id, english, details), ensure_ascii=False),
        status_code=CATALOGUE[code].status,
        headers={"Content-Type": "application/json", "X-Request-Id": request_id, **(headers or {})},
    )


# A 429 always says when to come back, even where the raiser could not be more precise.
DEFAULT_RETRY_AFTER = {429: 60}


def retry_after_header(err: AppError) -> dict[str, str]:
    seconds = err.retry_after if err.retry_after is not None else DEFAULT_RETRY_AFTER.get(err.status)
    return {"Retry-After": str(seconds)} if seconds is not None else {}


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


def _parse_body(spec: RouteSpec, raw: bytes | None) -> Any:
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


def _parse_query(spec: RouteSpec, params: dict | None) -> Any:
    model = spec.query
    if model is None:
        return None
    try:
        return model.model_validate(dict(params or {}))
    except ValidationError as exc:
        raise AppError("validation_error", details=validation_details(exc)) from None


def _authenticate(spec: RouteSpec, headers: dict[str, str]) -> Principal | None:
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


def _channel(headers: dict[str, str]) -> str | None:
    channel = headers.get("x-channel")
    if channel is None or channel == "":
        return None
    if channel not in CHANNELS:
        raise AppError(
            "validation_error", details=[{"field": "X-Channel", "issue": f"must be one of {', '.join(CHANNELS)}"}]
        )
    return channel


def _idempotency_key(spec: RouteSpec, headers: dict[str, str]) -> str | None:
    key = headers.get("idempotency-key")
    if not spec.idempotent:
        return key
    if not key:
        raise AppError("idempotency_key_required")
    if len(key) > 64:
        raise AppError("validation_error", details=[{"field": "Idempotency-Key", "issue": "must be 1-64 characters"}])
    return key


class Api:
    """A Chalice Blueprint whose routes are declared with ``route``."""

    def __init__(self, import_name: str, tag: str, schemas: str | None = None) -> None:
        self.blueprint = Blueprint(import_name)
        self.tag = tag
        self.schemas = schemas or default_schemas(import_name)

    def _qualified(self, ref: ModelRef) -> ModelRef:
        if not isinstance(ref, str):
            return ref
        return f"{self.schemas}.{ref}" if "." not in ref else f"chalicelib.{ref}"

    def route(
        self,
        path: str,
        method: str,
        *,
        auth: Auth,
        summary: str,
        status: int = 200,
        body: ModelRef = None,
        query: ModelRef = None,
        response: ModelRef = None,
        errors: tuple[str, ...] = (),
        idempotent: bool = False,
        local_only: bool = False,
        examples: dict[str, Any] | None = None,
        other_statuses: dict[int, str] | None = None,
        media_types: tuple[str, ...] = ("application/json",),
        other_responses: dict[int, ModelRef] | None = None,
        optional_idempotency_key: bool = False,
        error_response: ModelRef = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            if fn.__name__ in _NAMES:
                # The view's name is its OpenAPI operationId, which must be unique.
                raise ValueError(f"a route named {fn.__name__!r} is already declared: rename the view")
            spec = RouteSpec(
                path=path, method=method, auth=auth, summary=summary, tag=self.tag, status=status,
                body_ref=self._qualified(body), query_ref=self._qualified(query),
                response_ref=self._qualified(response), errors=errors, idempotent=idempotent, local_only=local_only,
                examples=examples or {}, name=fn.__name__, other_statuses=other_statuses or {},
                media_types=media_types,
                other_responses={status: self._qualified(ref) for status, ref in (other_responses or {}).items()},
                optional_idempotency_key=optional_idempotency_key, error_response=self._qualified(error_response),
                description=inspect.getdoc(fn) or "", area=area_of(fn.__module__),
            )
            REGISTRY.append(spec)
            _NAMES.add(fn.__name__)
            blueprint = self.blueprint

            @wraps(fn)
            def view(**path_params: str) -> Response:
                return _dispatch(spec, fn, blueprint.current_request, path_params)

            # Local-only routes are registered everywhere but answer 404 off the local stage, so the
            # deployed API and the local one have the same shape (and the same OpenAPI paths).
            blueprint.route(path, methods=[method], content_types=["application/json"])(view)
            return fn

        return decorator


def audit_scope_of(spec: RouteSpec, ctx: RequestContext, path_params: dict[str, str]) -> audit_scope.AuditScope | None:
    """The audit record a request would leave: every non-GET route a staff member calls (the rule, here once)."""
    principal = ctx.principal
    if spec.method == "GET" or principal is None or principal.role not in audit_scope.STAFF_ROLES:
        return None
    body = ctx.body
    return audit_scope.AuditScope(
        actor=principal.staff_id or principal.subject, role=principal.role, action=spec.name,
        route=f"{spec.method} {spec.path}", request_id=ctx.request_id, channel=ctx.channel, target=dict(path_params),
        member=audit_scope.member_of(path_params, body),
        reason=audit_scope.clean_reason(getattr(body, "reason", None) or getattr(body, "note", None)),
    )


def _run_audited(spec: RouteSpec, fn: Callable[..., Any], ctx: RequestContext, path_params: dict[str, str]) -> Any:
    scope = audit_scope_of(spec, ctx, path_params)
    if scope is None:
        return fn(ctx, **path_params)
    with audit_scope.opened(scope):
        return fn(ctx, **path_params)


def _dispatch(spec: RouteSpec, fn: Callable[..., Any], request: Any, path_params: dict[str, str]) -> Response:
    request_id = request_id_of(request)
    headers = {k.lower(): v for k, v in (request.headers or {}).items()}
    english = wants_english(headers.get("accept-language"))
    channel = headers.get("x-channel")
    tag_route(f"{spec.method} {spec.path}", fn.__module__.split(".")[1], channel if channel in CHANNELS else None)
    try:
        if spec.local_only and not settings().is_local:
            raise AppError("route_not_found")
        principal = _authenticate(spec, headers)
        caller.set(principal)  # a fresh context per request in Lambda; reset below for a server's threads
        if principal is not None:
            logger.append_keys(role=principal.role, customer_id=principal.customer_id, staff_id=principal.staff_id)
        ctx = RequestContext(
            request_id=request_id,
            principal=principal,
            channel=_channel(headers),
            body=_parse_body(spec, request.raw_body),
            query=_parse_query(spec, request.query_params),
            headers=headers,
            client_ip=((request.context or {}).get("identity") or {}).get("sourceIp") or "0.0.0.0",
            english=english,
            idempotency_key=_idempotency_key(spec, headers),
            base_path=base_path_of(request),
            raw_body=request.raw_body or b"",
        )
        result = _run_audited(spec, fn, ctx, path_params)
        reply = as_reply(result)
        status = reply.status or spec.status
        kpis.count_route(spec.name, status, spec.status, REPLAY_HEADER in reply.headers)
        out_headers: dict[str, str | list[str]] = {"X-Request-Id": request_id, **reply.headers}
        if status == 204:
            return Response(body="", status_code=204, headers=out_headers)
        if reply.raw:
            return Response(body=reply.body, status_code=status, headers=out_headers)
        out_headers.setdefault("Content-Type", "application/json")
        return Response(body=json.dumps(reply.body, ensure_ascii=False), status_code=status, headers=out_headers)
    except AppError as err:
        if err.status >= 500:
            logger.warning("request failed", extra={"error_code": err.code, "path": spec.path})
        return envelope_response(err.code, request_id, english, err.details, retry_after_header(err))
    except Exception:
        logger.exception("unhandled error", extra={"path": spec.path, "method": spec.method})
        return envelope_response("internal_error", request_id, english)
    finally:
        caller.set(None)
