"""The export bundle, complete by construction: every area's registry (``Area.personal_data``) says which of its
item kinds hold the member's data, where they are and which attributes the copy carries; this walks it.

``where`` entries: a sort key (``M#PROFILE``) or a prefix ending in ``#`` (``H#APPT#``) under ``CUST#<id>``, or an
index partition ``gsi2:EVM#`` (``<prefix><customer_id>``, optionally ``~<sk suffix>`` to tell kinds apart); kinds in
other partitions name a ``finder``. The customers merged into the member are included (their ``MERGE#`` records).
"""

from __future__ import annotations

import importlib
from decimal import Decimal
from typing import Any

from chalicelib.core import area
from chalicelib.core.dynamo.items import Item
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.core.dynamo.paging import query_all
from chalicelib.core.personal_data import Kind


def model_of(area_name: str, key: str) -> type[Item]:
    if ":" in key:
        model: type[Item] = area.resolve(key)
        return model
    return getattr(importlib.import_module(f"chalicelib.{area_name}.models"), key)  # type: ignore[no-any-return]


def registries() -> list[tuple[str, str, type[Item], Kind]]:
    """``(area, kind name, model, Kind)`` of every registered kind, in ``AREAS`` order."""
    out = []
    for one in area.installed():
        if one.personal_data:
            for key, kind in area.resolve(one.personal_data).items():
                out.append((one.name, key.rpartition(":")[2], model_of(one.name, key), kind))
    return out


def located(customer_id: str, where: str) -> list[dict[str, Any]]:
    """The member's raw items at one ``where`` entry (see the module doc)."""
    if where.startswith("gsi"):
        index, _, rest = where.partition(":")
        prefix, _, suffix = rest.partition("~")
        found = query_all(IndexName=index, KeyConditionExpression=f"{index}pk = :p",
                       ExpressionAttributeValues={":p": {"S": prefix + customer_id}})
        return [r for r in found if not suffix or r.get(f"{index}sk", {}).get("S", "").endswith(suffix)]
    pk = {":pk": {"S": customer_pk(customer_id)}}
    if where.endswith("#"):
        return query_all(KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
                         ExpressionAttributeValues={**pk, ":s": {"S": where}})
    return query_all(KeyConditionExpression="pk = :pk AND sk = :s",
                     ExpressionAttributeValues={**pk, ":s": {"S": where}})


def items_of(customer_id: str, kind: Kind) -> list[dict[str, Any]]:
    found = [raw for where in kind.where for raw in located(customer_id, where)]
    if kind.finder:
        found += area.resolve(kind.finder)(customer_id)
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "as_dict"):
        return _plain(value.as_dict())
    return value


def merged_into(customer_id: str) -> list[str]:
    """The member and every customer merged into them (a merge's ``MERGE#`` record names the absorbed one)."""
    ids, todo = [customer_id], [customer_id]
    while todo:
        for raw in located(todo.pop(), "MERGE#"):
            absorbed = raw.get("absorbed_customer_id", {}).get("S")
            if absorbed and absorbed not in ids:
                ids.append(absorbed)
                todo.append(absorbed)
    return ids


def build(customer_id: str) -> dict[str, Any]:
    """``{area: {kind: [{attribute: value}]}}`` of every registered kind with exported attributes."""
    customers = merged_into(customer_id)
    bundle: dict[str, Any] = {}
    for area_name, name, model, kind in registries():
        fields = sorted(kind.names("export"))
        if not fields:
            continue
        rows = []
        for cid in customers:
            for raw in items_of(cid, kind):
                item = model.from_raw_data(raw)
                rows.append({f: _plain(getattr(item, f, None)) for f in fields})
        bundle.setdefault(area_name, {})[name] = rows
    return bundle
