"""The OpenAPI document lists every status a route can answer.

Walks the route registry and compares each operation's documented responses with what can answer:

- the route layer (``core/http/routing.py``), from the spec alone: a bad ``X-Channel`` is 400 on every route; a
  body can be malformed, invalid, too large or of the wrong type; a query can be invalid; a route that needs a
  caller can be refused (401/403); an idempotent route can miss its key (400) or reuse one (422); a local-only
  route is 404 off the local stage; anything can fail (500);
- the use cases, read statically: the view and the chalicelib functions it calls (a few levels deep, resolved
  through each module's globals) are searched for ``AppError("<code>")``, ``results.created/accepted/ok`` and
  ``Reply(body, <status>)``, so an alternative success status (200 for a repeated order on a route that creates
  with 201, 202 accepted for retry) or an error a use case raises must be in the document too.

A replay of an idempotent route answers the first answer's status, so it adds no status of its own beyond the
route's success statuses, which are checked above.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest

from chalicelib.core import results
from chalicelib.core.errors import CATALOGUE, AppError
from chalicelib.core.http import routing
from chalicelib.core.http.openapi import build_document
from tests.support import contract
from tests.support.contract import route_id

ROUTES = contract.routes()
OUTCOMES = {results.created: 201, results.accepted: 202, results.ok: 200}
MAX_DEPTH = 4
# Not followed: the route layer itself (covered from the spec) and the idempotency replay (answers the first
# answer's status).
NOT_FOLLOWED = ("chalicelib.core.http.",)


def view_of(spec: routing.RouteSpec) -> Callable[..., Any]:
    import app

    view = app.app.routes[spec.path][spec.method].view_function
    return inspect.unwrap(view)


def _resolve(node: ast.expr, scope: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, scope)
        return getattr(base, node.attr, None) if base is not None else None
    return None


def _int_values(node: ast.expr) -> set[int] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return {node.value}
    if isinstance(node, ast.IfExp):
        a, b = _int_values(node.body), _int_values(node.orelse)
        return a | b if a is not None and b is not None else None
    return None


def _catches_app_error(handler: ast.ExceptHandler, scope: dict[str, Any]) -> bool:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(kind is None or _resolve(kind, scope) in (AppError, Exception) for kind in kinds)


def _calls(node: ast.AST, scope: dict[str, Any]) -> Iterator[ast.Call]:
    """Every call under ``node``, except in a ``try`` body whose handlers swallow ``AppError`` (``logout`` accepts
    an unknown token silently) -- unless the handler raises again."""
    if isinstance(node, ast.Try):
        swallowed = any(
            _catches_app_error(h, scope) and not any(isinstance(n, ast.Raise) for n in ast.walk(h))
            for h in node.handlers
        )
        children: list[ast.AST] = [*([] if swallowed else node.body), *node.handlers, *node.orelse, *node.finalbody]
    else:
        children = list(ast.iter_child_nodes(node))
    if isinstance(node, ast.Call):
        yield node
    for child in children:
        yield from _calls(child, scope)


@cache
def answers(fn: Callable[..., Any], depth: int = 0) -> frozenset[tuple[str, Any]]:
    """``("status", 201)`` and ``("code", "not_found")`` pairs that ``fn`` or what it calls can produce."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return frozenset()
    scope = {**getattr(fn, "__globals__", {})}
    found: set[tuple[str, Any]] = set()
    for node in _calls(tree, scope):
        target = _resolve(node.func, scope)
        if target is None:
            continue
        if target is AppError:
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(("code", node.args[0].value))
        elif target is routing.Reply:
            status_node = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "status"), None)
            for status in (_int_values(status_node) or set()) if status_node is not None else set():
                found.add(("status", status))
        elif any(target is outcome for outcome in OUTCOMES):
            found.add(("status", OUTCOMES[target]))
        elif (
            isinstance(target, types.FunctionType) and depth < MAX_DEPTH
            and target.__module__.startswith("chalicelib.")
            and not target.__module__.startswith(NOT_FOLLOWED)
        ):
            found |= answers(target, depth + 1)
        elif (
            isinstance(target, type) and depth < MAX_DEPTH and target.__module__.startswith("chalicelib.")
            and not target.__module__.startswith(NOT_FOLLOWED)
        ):  # a use case's own class (one request across attempts): what its methods can answer
            for method in vars(target).values():
                if isinstance(method, types.FunctionType):
                    found |= answers(method, depth + 1)
    return frozenset(found)


def route_layer_codes(spec: routing.RouteSpec) -> set[str]:
    # X-Channel and the Content-Type are checked on every route (Chalice answers 415 with or without a body), and the
    # gateway refuses a URL too long before any route.
    codes = {"validation_error", "internal_error", "unsupported_media_type", "uri_too_long"}
    if spec.body is not None:
        codes |= {"validation_error", "malformed_json", "payload_too_large"}
    if spec.auth in routing.ROLES_FOR_AUTH:
        codes |= {"unauthorized", "invalid_token", "token_expired", "forbidden"}
    if spec.auth in ("api_key", "partner"):
        codes.add("invalid_api_key")
    if spec.idempotent:
        codes |= {"idempotency_key_required", "idempotency_key_reused", "validation_error"}
    if spec.local_only:
        codes.add("route_not_found")
    return codes


def expected(spec: routing.RouteSpec) -> tuple[set[int], set[str]]:
    found = answers(view_of(spec))
    successes = {spec.status} | {value for kind, value in found if kind == "status"}
    codes = route_layer_codes(spec) | {value for kind, value in found if kind == "code"}
    return successes, codes


def _missing(document: dict[str, Any], spec: routing.RouteSpec) -> list[str]:
    op = document["paths"][spec.path][spec.method.lower()]
    successes, codes = expected(spec)
    documented = contract.documented_error_codes(document, spec)
    problems = [f"{status} (success)" for status in sorted(successes) if str(status) not in op["responses"]]
    for code in sorted(codes):
        status = CATALOGUE[code].status
        if code not in documented.get(status, set()):
            problems.append(f"{status} {code}")
    return problems


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_document()


def _params() -> Iterator[Any]:
    for spec in ROUTES:
        yield pytest.param(spec, id=route_id(spec))


@pytest.mark.parametrize("spec", list(_params()))
def test_the_document_lists_every_status_the_route_can_answer(document: dict[str, Any], spec: routing.RouteSpec):
    assert _missing(document, spec) == [], f"{route_id(spec)} can answer statuses its entry does not list"


def test_the_walker_sees_alternative_successes_and_use_case_errors():
    """The static reading finds what it must, or the test above would pass vacuously."""
    by_name = {spec.name: spec for spec in ROUTES}
    assert {201, 202} <= expected(by_name["create_redemption"])[0]
    assert {200, 201} <= expected(by_name["post_order"])[0]
    assert {200, 201} <= expected(by_name["redeem_voucher"])[0]
    assert "service_unavailable" in expected(by_name["app_login"])[1]  # raised in identity.directory
    assert "invalid_refresh_token" not in expected(by_name["logout"])[1]  # caught: unknown tokens are accepted


def test_every_429_documents_retry_after(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method, op in item.items():
            if "429" in op["responses"]:
                assert "Retry-After" in op["responses"]["429"].get("headers", {}), f"{method.upper()} {path}"
