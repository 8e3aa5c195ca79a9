"""One rule for every request body: JSON's own types, never coerced. Before, the events' and services' bodies (and
others) took ``"5"`` or ``true`` for a number, ``1`` or ``"true"`` for a boolean and an epoch number for a time,
while C2B refused them. Every field of every body model of the route registry is tried with the values lax
validation would have converted, and each must be refused at its field; fields added later are covered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from chalicelib.core.http.models import parse_body
from tests.support import contract
from tests.support.contract import FieldPath, body_at, json_types, route_id


def coercible(schema: dict[str, Any], defs: dict[str, Any]) -> list[Any]:
    """The values of another JSON type that pydantic's lax mode turns into what the field takes."""
    accepted = json_types(schema, defs) or {"string"}
    if "string" not in accepted and accepted & {"integer", "number"}:
        return ["5", True]
    if "string" not in accepted and "boolean" in accepted:
        return ["true", 1]
    if schema.get("format") == "date-time" and "number" not in accepted:
        return [1767225600]
    if schema.get("format") == "date" and "number" not in accepted:
        return [20270101]
    return []


def cases() -> Iterator[Any]:
    seen: set[tuple[str, FieldPath]] = set()
    for spec in contract.routes():
        if spec.body is None:
            continue
        for path, schema, defs in contract.field_schemas(spec.body):
            if (spec.body.__qualname__, path) in seen:
                continue  # a union's parts: the field's own schema came first
            seen.add((spec.body.__qualname__, path))
            for value in coercible(schema, defs):
                name = ".".join(map(str, path))
                yield pytest.param(spec.body, path, value, id=f"{route_id(spec)} {name}={value!r}")


CASES = list(cases())


def test_the_walk_finds_the_fields_it_is_for():
    found = {p.id.split(" ", 2)[2] for p in CASES}
    assert {"capacity='5'", "starts_at=1767225600", "invite_only='true'", "duration_minutes=True"} <= found, found


@pytest.mark.parametrize(("model", "path", "value"), CASES)
def test_a_value_of_another_json_type_is_refused_not_coerced(model: type[BaseModel], path: FieldPath, value: Any):
    with pytest.raises(ValidationError) as refused:
        parse_body(model, json.dumps(body_at(path, value)))
    assert path in [tuple(e["loc"]) for e in refused.value.errors()], refused.value.errors()
