"""A validation issue about the length of text counts characters: text checked by a validator first (``Text``,
``MultilineText``) was told "Value should have at least 10 items after validation" (a 2-character C2B description).
Every text field of every body model of the route registry is tried too short and too long; the answer is the same
whatever the caller's language (issues are English in both, the message beside them is translated)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core.errors import AppError
from chalicelib.core.http import request, routing
from tests.support import contract
from tests.support.contract import FieldPath, body_at, route_id


def cases() -> Iterator[Any]:
    seen: set[tuple[str, FieldPath, int]] = set()
    for spec in contract.routes():
        if spec.body is None:
            continue
        for path, schema, _defs in contract.field_schemas(spec.body):
            if schema.get("type") != "string" or "format" in schema or "enum" in schema:
                continue
            lengths = [n for n in (schema.get("minLength", 0) - 1, schema.get("maxLength", -2) + 1) if n > 0]
            for length in lengths:
                if (spec.body.__qualname__, path, length) not in seen:
                    seen.add((spec.body.__qualname__, path, length))
                    name = ".".join(map(str, path))
                    yield pytest.param(spec, path, length, id=f"{route_id(spec)} {name} {length} characters")


CASES = list(cases())


def issues_at(spec: routing.RouteSpec, body: Any, path: FieldPath) -> list[str]:
    import json

    with pytest.raises(AppError) as refused:
        request.body_of(spec, json.dumps(body).encode())
    field = ".".join(map(str, path))
    return [d["issue"] for d in refused.value.details if d["field"] == field]


def test_the_c2b_description_that_was_reported():
    spec = next(s for s in contract.routes() if (s.method, s.path) == ("POST", "/v1/product-requests"))
    assert issues_at(spec, {"title": "一个好产品", "description": "太短", "category": "家居"}, ("description",)) == [
        "String should have at least 10 characters"
    ]


@pytest.mark.parametrize(("spec", "path", "length"), CASES)
def test_a_text_of_the_wrong_length_is_told_in_characters(spec: routing.RouteSpec, path: FieldPath, length: int):
    issues = issues_at(spec, body_at(path, "字" * length), path)
    assert issues and any("character" in issue for issue in issues), issues
    assert not any("item" in issue for issue in issues), issues


def test_a_list_of_the_wrong_length_is_still_told_in_items():
    spec = next(s for s in contract.routes() if (s.method, s.path) == ("POST", "/v1/admin/stores"))
    assert any("item" in issue for issue in issues_at(spec, {"opening_hours": []}, ("opening_hours",)))
