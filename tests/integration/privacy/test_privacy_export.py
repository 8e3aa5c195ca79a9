"""The export: complete by construction from the personal-data registry, the member's own only, one at a time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeSetAttribute,
)

from chalicelib.core.config import settings
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.points.models import LedgerEntryItem
from chalicelib.privacy import bundle
from tests.support.points_world import PointsWorld
from tests.support.sqs import LambdaContext, drain, sqs_event

pytestmark = pytest.mark.integration
NOT_FILLED = {"pk", "sk", "ttl", "merged_into", "open_export"}


@pytest.fixture
def world(queued_points_world: PointsWorld) -> PointsWorld:
    return queued_points_world


def _value(attribute: Any, marker: str) -> dict[str, Any]:
    if isinstance(attribute, JSONAttribute):
        return {"S": json.dumps({"note": marker})}
    if isinstance(attribute, NumberAttribute):
        return {"N": "7"}
    if isinstance(attribute, BooleanAttribute):
        return {"BOOL": True}
    if isinstance(attribute, BinaryAttribute):
        return {"B": marker.encode()}
    if isinstance(attribute, UnicodeSetAttribute):
        return {"SS": [marker]}
    if isinstance(attribute, ListAttribute):
        return {"L": [{"S": marker}]}
    if isinstance(attribute, MapAttribute):
        return {"M": {}}
    return {"S": marker}


def _put(model: Any, pk: str, sk: str, tag: str, cid: str, **keys: str) -> None:
    raw: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}}
    for name, attribute in model.get_attributes().items():
        if name not in NOT_FILLED:
            raw[name] = _value(attribute, f"{tag}-{name}")
    if "customer_id" in raw:
        raw["customer_id"] = {"S": cid}
    raw.update({k: {"S": v} for k, v in keys.items()})
    shared_connection().client.put_item(TableName=settings().table_name, Item=raw)


def give_data_in_every_kind(cid: str, tag: str) -> int:
    """One item of every registered kind the export carries, at the place its registry entry names, every attribute
    filled with ``<tag>-<attribute>``; the number of kinds."""
    kinds = 0
    for _area, name, model, kind in bundle.registries():
        if not kind.names("export"):
            continue
        kinds += 1
        for where in kind.where:
            if where.startswith("gsi"):
                index, _, rest = where.partition(":")
                prefix, _, suffix = rest.partition("~")
                _put(model, f"EV#{tag}", f"{name}#{cid}", tag, cid,
                     **{f"{index}pk": prefix + cid, f"{index}sk": f"2027#{tag}{suffix}"})
            else:
                _put(model, f"CUST#{cid}", where + (f"{tag}1" if where.endswith("#") else ""), tag, cid)
        finder = (kind.finder or "").rpartition(":")[2]
        if finder in ("orders_of", "adjustments_of"):
            ref = f"{tag}-{finder}"
            _put(model, ("ORDER#" if finder == "orders_of" else "ADJ#") + ref,
                 "ORDER" if finder == "orders_of" else "ADJ", tag, cid)
            _put(LedgerEntryItem, f"CUST#{cid}", f"L#2027-01-01#{finder}", tag, cid,
                 kind="purchase" if finder == "orders_of" else "adjustment", reference=ref)
        elif finder == "claims_of":
            _put(model, f"CLAIM#{tag}", "CLAIM", tag, cid, gsi2pk=f"CUSTCLAIM#{cid}", gsi2sk="2027")
        elif finder == "proposals_of":
            _put(model, f"C2B#{tag}-req", "A#REQ", tag, cid)
            shared_connection().client.put_item(TableName=settings().table_name, Item={
                "pk": {"S": f"CUST#{cid}"}, "sk": {"S": f"H#C2BP#{tag}-req"}, "request_id": {"S": f"{tag}-req"},
                "created_at": {"S": "2027"}})
        elif finder == "call_tasks_of":
            _put(model, f"CAMP#{tag}-camp", f"TASK#{cid}", tag, cid)
            shared_connection().client.put_item(TableName=settings().table_name, Item={
                "pk": {"S": f"CUST#{cid}"}, "sk": {"S": f"H#CAMP#2027#{tag}-camp"}, "campaign_id": {"S": f"{tag}-camp"},
                "group": {"S": "treated"}, "at": {"S": "2027"}})
        elif kind.finder:
            raise AssertionError(f"the test does not know how to give the member a {name} ({kind.finder})")
    return kinds


def run_worker(sqs_client: Any, sqs_queues: dict[str, Any]) -> None:
    import app as application

    bodies = [json.dumps(m["body"]) for m in drain(sqs_client, sqs_queues["RetryQueue"].url)]
    assert bodies, "the export was not queued"
    out = application.retry_worker(sqs_event(bodies), LambdaContext(function_name="member-portal-local-retry_worker"))
    assert out == {"batchItemFailures": []}


def ask(world: Any, token: str, key: str = "k1") -> tuple[int, Any]:
    status, body, _ = world.api.call("POST", "/v1/me/exports", {}, token=token, headers={"idempotency-key": key})
    return status, body


@pytest.mark.slow
def test_the_export_carries_every_registered_field_and_nobody_elses_data(world, sqs_client, sqs_queues):
    a, token_a = world.member()
    b, token_b = world.member()
    kinds = give_data_in_every_kind(a, "AAA")
    give_data_in_every_kind(b, "BBB")
    status, asked = ask(world, token_a)
    assert status == 202 and asked["status"] == "preparing", asked
    status, body, _ = world.api.call("GET", f"/v1/me/exports/{asked['export_id']}/data", token=token_a)
    assert (status, body["error"]["code"]) == (409, "export_not_ready")
    run_worker(sqs_client, sqs_queues)
    status, shown, _ = world.api.call("GET", f"/v1/me/exports/{asked['export_id']}", token=token_a)
    assert status == 200 and shown["status"] == "ready" and shown["expires_at"], shown
    status, data, _ = world.api.call("GET", f"/v1/me/exports/{asked['export_id']}/data", token=token_a)
    assert status == 200, data
    missing = []
    seen = 0
    for area, name, _model, kind in bundle.registries():
        fields = kind.names("export")
        if not fields:
            continue
        rows = data["areas"].get(area, {}).get(name, [])
        if not rows:
            missing.append(f"{area}.{name}: no item")
        for row in rows:
            seen += 1
            missing += [f"{area}.{name}.{f}" for f in sorted(fields) if row.get(f) is None]
    assert not missing, f"registered fields missing from the export: {missing}"
    assert seen >= kinds
    text = json.dumps(data, ensure_ascii=False)
    assert "BBB-" not in text and b not in text
    # another member's export is 404, its data too
    for path in (f"/v1/me/exports/{asked['export_id']}", f"/v1/me/exports/{asked['export_id']}/data"):
        status, body, _ = world.api.call("GET", path, token=token_b)
        assert (status, body["error"]["code"]) == (404, "not_found")


@pytest.mark.slow
def test_one_open_export_at_a_time_and_a_replay_answers_the_first(world, sqs_client, sqs_queues):
    _, token = world.member()
    status, first = ask(world, token, "k1")
    assert status == 202
    status, again, headers = world.api.call("POST", "/v1/me/exports", {}, token=token,
                                            headers={"idempotency-key": "k1"})
    assert (status, again) == (202, first) and headers.get("Idempotent-Replayed") == "true"
    status, body = ask(world, token, "k2")
    assert (status, body["error"]["code"]) == (409, "export_in_progress")
    status, body, _ = world.api.call("POST", "/v1/me/exports", {}, token=token)
    assert (status, body["error"]["code"]) == (400, "idempotency_key_required")
    run_worker(sqs_client, sqs_queues)
    status, second = ask(world, token, "k3")
    assert status == 202 and second["export_id"] != first["export_id"]
