"""The committed contract snapshot (``docs/openapi.snapshot.json``) against the document the code builds: a breaking
change fails until the snapshot is updated on purpose (``python -m tools.contract snapshot``); additions pass."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tools import contract


@pytest.fixture(scope="module")
def current() -> dict[str, Any]:
    return contract.contract_of(contract.document())


def _schema(doc: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = doc["components"]["schemas"][name]
    return schema


def test_the_code_keeps_the_committed_contract(current: dict[str, Any]):
    snapshot = json.loads(contract.SNAPSHOT.read_text(encoding="utf-8"))
    problems = contract.breaking_changes(snapshot, current)
    assert problems == [], ("breaking changes against docs/openapi.snapshot.json (if meant: "
                            "`python -m tools.contract snapshot`):\n" + "\n".join(problems))


def test_a_removed_response_field_is_breaking(current: dict[str, Any]):
    changed = copy.deepcopy(current)
    del _schema(changed, "RedemptionOut")["properties"]["balance_after"]
    _schema(changed, "RedemptionOut")["required"].remove("balance_after")
    # a schema used in many places is reported once, where it is first reached
    assert contract.breaking_changes(current, changed) == ["POST /v1/redemptions 201.balance_after: field removed"]


def test_a_removed_operation_and_path_are_breaking(current: dict[str, Any]):
    changed = copy.deepcopy(current)
    del changed["paths"]["/v1/me/points/claims"]["get"]
    del changed["paths"]["/v1/rewards/{reward_id}"]
    assert contract.breaking_changes(current, changed) == [
        "GET /v1/me/points/claims: operation removed", "GET /v1/rewards/{reward_id}: operation removed"]


def test_a_removed_enum_value_and_a_narrowed_type_are_breaking(current: dict[str, Any]):
    changed = copy.deepcopy(current)
    status = _schema(changed, "RegistrationOut")["properties"]["status"]
    status["enum"] = [v for v in status["enum"] if v != "waitlisted"]
    _schema(changed, "RedemptionIn")["properties"]["quantity"]["type"] = "string"
    problems = contract.breaking_changes(current, changed)
    assert any(p.endswith(".status: enum value removed (\"waitlisted\")") for p in problems), problems
    assert "POST /v1/redemptions request.quantity: type narrowed (no longer integer)" in problems


def test_a_response_field_that_may_now_be_missing_or_null_is_breaking(current: dict[str, Any]):
    changed = copy.deepcopy(current)
    _schema(changed, "RedemptionOut")["required"].remove("points_spent")
    _schema(changed, "RedemptionOut")["properties"]["status"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    problems = contract.breaking_changes(current, changed)
    assert "POST /v1/redemptions 201.points_spent: no longer always sent" in problems
    assert "POST /v1/redemptions 201.status: type widened in a response (now also null)" in problems


def test_a_newly_required_request_field_is_breaking(current: dict[str, Any]):
    changed = copy.deepcopy(current)
    _schema(changed, "ClaimBody")["required"].append("note")
    assert "POST /v1/me/points/claims request.note: newly required" in contract.breaking_changes(current, changed)


def test_additions_are_not_breaking(current: dict[str, Any]):
    """New areas' routes, new optional request fields, new response fields and enum values pass."""
    changed = copy.deepcopy(current)
    changed["paths"]["/v1/me/not-yet-built"] = {"get": {"operationId": "list_not_yet_built", "responses": {"200": {}}}}
    changed["paths"]["/v1/me/points/claims"]["delete"] = {"operationId": "withdraw_claim", "responses": {}}
    _schema(changed, "RedemptionOut")["properties"]["gift_note"] = {"type": "string"}
    _schema(changed, "RedemptionOut")["required"].append("gift_note")
    _schema(changed, "ClaimBody")["properties"]["channel_hint"] = {"type": "string"}
    _schema(changed, "RedemptionIn")["properties"]["quantity"]["type"] = ["integer", "string"]
    assert contract.breaking_changes(current, changed) == []


def test_renamed_schemas_are_compared_through_their_refs(current: dict[str, Any]):
    changed = json.loads(json.dumps(current).replace('"#/components/schemas/RedemptionOut"',
                                                     '"#/components/schemas/MallRedemptionOut"'))
    changed["components"]["schemas"]["MallRedemptionOut"] = changed["components"]["schemas"].pop("RedemptionOut")
    assert contract.breaking_changes(current, changed) == []
