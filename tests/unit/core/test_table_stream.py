"""The table stream's one consumer (``core/stream.py``): each record reaches every area's handler that wants it
(by event and sort-key prefix), failures are reported per record, and the deployed event-source filters let
through every record some handler wants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import app  # noqa: F401  (installs the areas)
from chalicelib.core import stream
from chalicelib.core.area import StreamHandler, installed

ROOT = Path(__file__).resolve().parents[3]


def _record(event: str, sk: str, seq: str = "1", pk: str = "CUST#c_1") -> dict[str, Any]:
    ddb: dict[str, Any] = {"Keys": {"pk": {"S": pk}, "sk": {"S": sk}}, "SequenceNumber": seq}
    if event != "REMOVE":
        ddb["NewImage"] = {"pk": {"S": pk}, "sk": {"S": sk}}
    return {"eventID": seq, "eventName": event, "eventSource": "aws:dynamodb", "dynamodb": ddb,
            "eventSourceARN": "arn:aws:dynamodb:ap-east-1:1:table/t/stream/x"}


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    calls: list[tuple[str, str, str]] = []

    def handler(name: str) -> Any:
        def handle(raw: dict[str, Any]) -> None:
            sk = stream.sort_key_of(raw)
            if sk == "BOOM":
                raise RuntimeError("handler failed")
            calls.append((name, raw["eventName"], sk))
        return handle

    monkeypatch.setattr(stream, "handlers", lambda: (
        StreamHandler("x:a", sk_prefixes=("N#",), events=("INSERT",)),
        StreamHandler("x:b", sk_prefixes=("M#POINTS", "BOOM")),
    ))
    monkeypatch.setattr(stream, "resolve", lambda ref: handler(ref))
    return calls


def test_each_record_reaches_the_handlers_that_want_it(seen):
    out = stream.handle_batch({"Records": [_record("INSERT", "N#2026#1", "1"), _record("MODIFY", "N#2026#1", "2"),
                                           _record("REMOVE", "M#POINTS", "3"), _record("INSERT", "M#PROFILE", "4")]},
                              None)
    assert out == {"batchItemFailures": []}
    assert seen == [("x:a", "INSERT", "N#2026#1"), ("x:b", "REMOVE", "M#POINTS")]


def test_a_failing_record_is_reported_alone(seen):
    out = stream.handle_batch({"Records": [_record("INSERT", "M#POINTS", "1"), _record("MODIFY", "BOOM", "2"),
                                           _record("MODIFY", "M#POINTS", "3")]}, None)
    assert out == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert [s[2] for s in seen] == ["M#POINTS", "M#POINTS"]


def test_notifications_and_member_facts_are_declared_stream_handlers():
    wanted = {(area.name, h.handle) for area in installed() for h in area.stream_handlers}
    assert ("notifications", "chalicelib.notifications.stream:handle_raw") in wanted
    assert ("segments", "chalicelib.segments.facts:handle_raw") in wanted


def _matches(pattern: dict[str, Any], record: dict[str, Any]) -> bool:
    """Just enough of Lambda's filter syntax for our patterns: exact values and prefixes, nested."""
    for key, want in pattern.items():
        if key not in record:
            return False
        got = record[key]
        if isinstance(want, dict):
            if not isinstance(got, dict) or not _matches(want, got):
                return False
        elif not any((isinstance(w, dict) and str(got).startswith(w["prefix"])) or got == w for w in want):
            return False
    return True


def test_the_deployed_filters_let_through_every_record_a_handler_wants():
    resources = json.loads((ROOT / "infra" / "resources.json").read_text())["Resources"]
    source = resources["NotificationDispatcher"]["Properties"]["Events"]["NotificationDispatcherDynamodbEventSource"]
    patterns = [json.loads(f["Pattern"]) for f in source["Properties"]["FilterCriteria"]["Filters"]]
    for area in installed():
        for handler in area.stream_handlers:
            for prefix in handler.sk_prefixes:
                for event in handler.events:
                    record = _record(event, prefix + "X")
                    assert any(_matches(p, record) for p in patterns), (area.name, prefix, event)
