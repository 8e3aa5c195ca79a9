"""Every date and time a request takes, in every body and query model of the route registry, refuses a value of
the right shape that names no real day or instant (``2027-02-30``): before, ``closed_dates`` of a store took it and
the store's rules then failed on it (a 500). The fields are found in the models' JSON schemas (``format`` date or
date-time, or a ``YYYY-MM-DD`` pattern), so a field added later is checked without editing this file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from chalicelib.core.http.models import parse_body
from tests.support import contract
from tests.support.contract import FieldPath as Path
from tests.support.contract import body_at, route_id

DAY_PATTERN = r"\d{4}-\d{2}-\d{2}"
IMPOSSIBLE = {"date": "2027-02-30", "date-time": "2027-02-30T10:00:00+08:00"}


def _kind(schema: dict[str, Any]) -> str | None:
    if schema.get("format") in IMPOSSIBLE:
        return str(schema["format"])
    if DAY_PATTERN in schema.get("pattern", ""):
        return "date"
    return None


def cases() -> Iterator[Any]:
    seen: set[tuple[str, Path]] = set()
    for spec in contract.routes():
        for where, model in (("body", spec.body), ("query", spec.query)):
            if model is None:
                continue
            for path, schema, _defs in contract.field_schemas(model):
                kind = _kind(schema)
                if kind is not None and (model.__qualname__, path) not in seen:
                    seen.add((model.__qualname__, path))
                    name = ".".join(map(str, path))
                    yield pytest.param(where, model, path, kind, id=f"{route_id(spec)} {where} {name}")


CASES = list(cases())


def test_the_walk_finds_the_fields_it_is_for():
    found = {p.id.split(" ", 2)[2] for p in CASES}
    assert {"body closed_dates.0", "body starts_at", "query date", "body purchased_on"} <= found


@pytest.mark.parametrize(("where", "model", "path", "kind"), CASES)
def test_an_impossible_date_is_refused_at_its_field(where: str, model: type[BaseModel], path: Path, kind: str):
    value = body_at(path, IMPOSSIBLE[kind])
    with pytest.raises(ValidationError) as refused:
        if where == "body":
            parse_body(model, json.dumps(value))
        else:
            model.model_validate(value)
    assert path in [tuple(e["loc"]) for e in refused.value.errors()], refused.value.errors()
