"""What a route is: its ``RouteSpec`` (path, method, auth, models, errors) and ``REGISTRY``, every declared one.

The OpenAPI document and the authorisation-matrix test both read ``REGISTRY``, so what is served, what is
documented and what is checked cannot drift apart. Models are named by string and built on first use (see
``ModelRef``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel

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
    """An audience's route module names its models in the module beside it: ``chalicelib.points.http.member`` ->
    ``chalicelib.points.http.member_schemas`` (an area whose audiences share models says ``schemas=``)."""
    return f"{import_name}_schemas"


def area_of(module: str) -> str:
    """``chalicelib.points.http.admin`` -> ``points``; the core's own (``chalicelib.core.http.health``) -> ``core``."""
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
