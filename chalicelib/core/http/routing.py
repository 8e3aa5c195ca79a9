"""Declarative routes: one decorator gives a view its auth, validation, error envelope and OpenAPI entry.

Every route is declared through ``Api.route``, which records a ``RouteSpec`` in ``REGISTRY`` (``route_spec.py``).
A request then runs through ``_dispatch`` here: who calls (``auth.py``), what it carries (``request.py``: the
``RequestContext`` a view receives, the validated body and query, the channel), the view, and the answer: a dict
(sent with the route's status) or a ``Reply``, or the error envelope.

Request and response models live in each area's schemas modules and routes name them as strings
(``body="identity.http.member_schemas.AppLogin"``): they are built when a route first needs them, not at cold start.

The names the areas use (``Api``, ``RequestContext``, ``Reply``) and the tests' (``REGISTRY``, ``RouteSpec``,
``ROLES_FOR_AUTH``, ``configure_auth``...) are importable from here.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from functools import wraps
from types import MappingProxyType
from typing import Any, NamedTuple

from chalice import Blueprint, Response

from chalicelib.core import kpis
from chalicelib.core.audit import scope as audit_scope
from chalicelib.core.config import settings
from chalicelib.core.errors import CATALOGUE, AppError, error_body, wants_english
from chalicelib.core.http.auth import authenticate, configure_auth
from chalicelib.core.http.principal import current as caller
from chalicelib.core.http.request import (
    RequestContext,
    base_path_of,
    body_of,
    channel_of,
    idempotency_key_of,
    query_of,
    request_id_of,
)
from chalicelib.core.http.route_spec import (
    _NAMES,
    CHANNELS,
    REGISTRY,
    ROLES_FOR_AUTH,
    Auth,
    ModelRef,
    RouteSpec,
    area_of,
    default_schemas,
)
from chalicelib.core.observability import logger, tag_route
from chalicelib.core.results import Result

__all__ = [
    "CHANNELS", "REGISTRY", "ROLES_FOR_AUTH", "Api", "Auth", "Reply", "RequestContext", "RouteSpec", "as_reply",
    "audit_scope_of", "base_path_of", "configure_auth", "envelope_response", "request_id_of", "retry_after_header",
]


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
        principal = authenticate(spec, headers)
        caller.set(principal)  # a fresh context per request in Lambda; reset below for a server's threads
        if principal is not None:
            logger.append_keys(role=principal.role, customer_id=principal.customer_id, staff_id=principal.staff_id)
        ctx = RequestContext(
            request_id=request_id,
            principal=principal,
            channel=channel_of(headers),
            body=body_of(spec, request.raw_body),
            query=query_of(spec, request.query_params),
            headers=headers,
            client_ip=((request.context or {}).get("identity") or {}).get("sourceIp") or "0.0.0.0",
            english=english,
            idempotency_key=idempotency_key_of(spec, headers),
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
