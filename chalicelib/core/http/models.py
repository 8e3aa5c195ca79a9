"""Shared request/response shapes. Models defer their schema build to first use (cold start).

Three input rules hold for every request, here once:

- ``Body``: strict types. A number is a JSON number, a boolean ``true``/``false``, text a JSON string, a date or
  time an ISO 8601 string: ``"5"``, ``5.0`` for an integer, ``1``/``"true"`` for a boolean, an epoch number for a
  time are refused (400 naming the field), not coerced. Pydantic's lax mode took them on some areas' bodies while
  others (C2B) refused them; one rule for every body. Query strings stay lax: everything in them is text.

- ``parse_body``: a JSON body with a non-finite number anywhere (``NaN``, ``Infinity``, ``-Infinity``, or a literal
  like ``1e400`` that overflows to infinity) is refused as a validation error naming where it is. Python's JSON
  and pydantic accept them, but they cannot be written back as JSON: stored once, every later read of the item
  would answer invalid JSON.
- ``Text`` / ``MultilineText``: free text (names, titles, reasons; notes and descriptions) refuses C0 controls
  (``MultilineText`` allows ``\n``), DEL, C1 controls, the Unicode line and paragraph separators and the
  bidirectional marks, embeddings, overrides and isolates (U+200E/F, U+061C, U+202A-202E, U+2066-2069) that let
  stored text display as something else.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from chalicelib.core.phone import normalize_phone


class Body(BaseModel):
    """Base of request bodies: unknown fields are refused, strings trimmed, and every field strict (module
    docstring): JSON's own types only."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True, strict=True)


def _closed_shape(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """A response's schema lists every field it sends (``additionalProperties: false``) unless the model says its
    shape is open (``open_shape = True``: a map keyed by data, settings an admin may extend)."""
    if not getattr(model, "open_shape", False) and "properties" in schema:
        schema["additionalProperties"] = False


class Out(BaseModel):
    """Base of documented responses (used for the OpenAPI document and contract tests).

    Views return plain dicts; the model documents them. Its schema is closed (see ``_closed_shape``): a field sent
    but not declared here fails the strict response check of the test suite.
    """

    model_config = ConfigDict(extra="allow", defer_build=True, json_schema_extra=_closed_shape)
    open_shape: ClassVar[bool] = False


def _phone(value: str) -> str:
    phone = normalize_phone(value)
    if phone is None:
        raise ValueError("must be an 11-digit mainland China mobile number")
    return phone


Phone = Annotated[str, StringConstraints(min_length=11, max_length=20), AfterValidator(_phone)]

# Bidirectional formatting: LRM, RLM, ALM, the embeddings and overrides, the isolates; and the Unicode line and
# paragraph separators (line breaks to JavaScript, invisible elsewhere).
_FORMATTING = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")


def _refused_character(value: str, multiline: bool) -> tuple[int, str] | None:
    for position, char in enumerate(value):
        point = ord(char)
        if char == "\n" and multiline:
            continue
        if point < 0x20 or 0x7F <= point <= 0x9F or char in _FORMATTING:
            return position, char
    return None


def check_text(value: Any, multiline: bool = False) -> Any:
    """``value`` as it is, unless it is a string holding a refused character (see the module docstring)."""
    refused = _refused_character(value, multiline) if isinstance(value, str) else None
    if refused is not None:
        position, char = refused
        allowed = "line breaks (\\n) only" if multiline else "no line breaks"
        raise ValueError(
            f"must not contain control or bidirectional formatting characters ({allowed}): "
            f"U+{ord(char):04X} at position {position}"
        )
    return value


def _text_check(multiline: bool) -> Any:
    return AfterValidator(lambda value: check_text(value, multiline))


Text = Annotated[str, _text_check(multiline=False)]
"""Single-line free text (names, titles, reasons): no control or bidirectional formatting characters."""
MultilineText = Annotated[str, _text_check(multiline=True)]
"""Free text that may span lines (notes, descriptions): as ``Text``, but ``\n`` is allowed."""
Code = Annotated[str, StringConstraints(min_length=1, max_length=256)]


def _real_day(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a real date YYYY-MM-DD") from None
    return value


Day = Annotated[str, StringConstraints(min_length=10, max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$"),
                AfterValidator(_real_day)]
"""A calendar day as ``YYYY-MM-DD`` text that exists (``2027-02-30`` matches the pattern but is refused)."""
HourMinute = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
"""A time of day as ``HH:MM`` (00:00-23:59)."""


class ErrorDetail(Out):
    field: str
    issue: str
    current: str | None = None
    """Where the request named a value no longer in force (a policy version): the one in force now."""


class ErrorInfo(Out):
    code: str
    message: str
    request_id: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorEnvelope(Out):
    error: ErrorInfo


class TokenResponse(Out):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str
    customer_id: str | None = None
    new_member: bool | None = None
    staff_id: str | None = None
    role: str | None = None


class Query(BaseModel):
    """Base of query strings: unknown parameters (cache busters) are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, defer_build=True)


class PageQuery(Query):
    """A list's query string, as the API conventions set it: ``limit`` (default 20, at most 100) and the ``cursor``
    a page answered as ``next_cursor``."""

    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, min_length=1, max_length=512)


M = TypeVar("M", bound=BaseModel)


def _non_finite_paths(value: Any) -> list[tuple[str | int, ...]]:
    """Where ``value`` (parsed JSON) holds a non-finite float, depth first, without recursion."""
    found: list[tuple[str | int, ...]] = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            found.append(path)
        elif isinstance(node, dict):
            stack.extend(((*path, key), child) for key, child in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend(((*path, i), child) for i, child in reversed(list(enumerate(node))))
    return found


def parse_body(model: type[M], raw: bytes | str) -> M:
    """Validate a JSON request body with ``model``, refusing non-finite numbers anywhere in it (module docstring).

    Raises pydantic's ``ValidationError`` (one error per non-finite number, located like a field) so that the
    route layer reports it as it reports any other: 400 ``validation_error`` with one detail per field.
    """
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        parsed = None  # not JSON to Python either: pydantic says why below
    paths = _non_finite_paths(parsed)
    if paths:
        errors: list[InitErrorDetails] = [
            {"type": PydanticCustomError("finite_number", "must be a finite number (not NaN or infinite)"),
             "loc": path or ("body",), "input": None}
            for path in paths
        ]
        raise ValidationError.from_exception_data(model.__name__, errors)
    return model.model_validate_json(raw)
