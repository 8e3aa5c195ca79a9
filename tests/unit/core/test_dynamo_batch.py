"""Batch reads under load: DynamoDB may leave keys unprocessed; every area's batch read asks them again
(``core.dynamo.batch``), with the core's backoff, and answers 503 rather than a partial read."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core.dynamo import batch, retry
from chalicelib.core.errors import AppError


class ThrottlingTable:
    """What DynamoDB answers a BatchGetItem under load: some keys served, the rest left unprocessed."""

    def __init__(self, items: dict[tuple[str, str], dict[str, Any]], served_per_call: int) -> None:
        self.items, self.served_per_call = items, served_per_call
        self.calls: list[dict[str, Any]] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        [(table, request)] = RequestItems.items()
        self.calls.append(request)
        keys = request["Keys"]
        served, left = keys[:self.served_per_call], keys[self.served_per_call:]
        wanted = [(k["pk"]["S"], k["sk"]["S"]) for k in served]
        found = [self.items[k] for k in wanted if k in self.items]
        out: dict[str, Any] = {"Responses": {table: found}}
        if left:
            out["UnprocessedKeys"] = {table: {**request, "Keys": left}}
        return out


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch):
    def use(fake: ThrottlingTable) -> ThrottlingTable:
        monkeypatch.setattr(batch, "shared_connection", lambda: type("Conn", (), {"client": fake})())
        monkeypatch.setattr(retry.time, "sleep", lambda seconds: None)
        return fake
    return use


def raw(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, "v": {"N": "1"}}


def test_keys_left_unprocessed_are_asked_again_until_every_existing_item_is_read(table):
    keys = [(f"CUST#{n}", "M#PROFILE") for n in range(250)]
    fake = table(ThrottlingTable({k: raw(*k) for k in keys if int(k[0][5:]) % 5}, served_per_call=40))
    found = batch.batch_get(keys, consistent=False)
    assert set(found) == {k for k in keys if int(k[0][5:]) % 5}  # every existing item, none twice, no absent one
    assert max(len(c["Keys"]) for c in fake.calls) == 100  # 100 keys to a call at most
    assert {c["ConsistentRead"] for c in fake.calls} == {False}


def test_still_unprocessed_after_the_attempts_is_a_503_not_a_partial_read(table):
    keys = [(f"CUST#{n}", "M#PROFILE") for n in range(10)]
    fake = table(ThrottlingTable({k: raw(*k) for k in keys}, served_per_call=1))
    with pytest.raises(AppError) as err:
        batch.batch_get(keys, attempts=2)
    assert (err.value.status, err.value.code) == (503, "service_unavailable")
    assert len(fake.calls) == 2  # a route that promises two calls makes two
