"""The bench's DynamoDB call counter counts what the app sends, through the app's own shared client (moto).

No timings here: the bench prints figures, tests only check that the counting is right.
"""

from __future__ import annotations

import pytest
from pynamodb.exceptions import PutError

from bench.counter import DynamoCounter, Tally, transaction_estimate


@pytest.fixture
def counter(moto_table: str):
    from chalicelib.core.dynamo.connection import shared_connection

    with DynamoCounter(shared_connection().client) as c:
        yield c


def _key(pk: str):
    from chalicelib.identity.models import KeyItem

    return KeyItem(pk=pk, sk="KEY", customer_id="c_1")


def test_counts_each_operation_made_through_models_and_transactions(counter: DynamoCounter) -> None:
    from chalicelib.core.dynamo.tx import Tx
    from chalicelib.identity import directory
    from chalicelib.identity.models import CustomerItem, KeyItem

    with counter.measure() as tally:
        assert directory.lookup("IDENT#app#app#1") is None
        _key("IDENT#app#app#1").save(add_version_condition=False)
        assert directory.lookup("IDENT#app#app#1") == "c_1"
        Tx().put("a", _key("PHONE#1"), KeyItem.pk.does_not_exist()).put("b", _key("UNION#1")).commit()
        assert list(CustomerItem.query("CUST#c_1")) == []

    assert tally.count == 5
    assert [c.operation for c in tally.calls] == ["GetItem", "PutItem", "GetItem", "TransactWriteItems", "Query"]
    assert tally.by_operation == {"GetItem": 2, "PutItem": 1, "TransactWriteItems": 1, "Query": 1}
    assert tally.operations_text() == "GetItem x2 + PutItem + TransactWriteItems[2] + Query"
    assert tally.calls[0].origin.startswith("identity/directory.py:")  # where in our code, above the data layer
    assert " lookup" in tally.calls[0].origin


def test_asks_for_consumed_capacity_and_reads_it(counter: DynamoCounter, moto_table: str) -> None:
    from chalicelib.core.dynamo.connection import shared_connection

    client = shared_connection().client
    bodies: list[bytes] = []

    def capture(params, **_):  # type: ignore[no-untyped-def]
        bodies.append(params["body"])

    client.meta.events.register("before-call.dynamodb.GetItem", capture, unique_id="test-capture")
    try:
        with counter.measure() as tally:  # a request that does not ask for capacity itself
            client.get_item(TableName=moto_table, Key={"pk": {"S": "nothing"}, "sk": {"S": "KEY"}})
    finally:
        client.meta.events.unregister("before-call.dynamodb.GetItem", unique_id="test-capture")
    assert b'"ReturnConsumedCapacity": "TOTAL"' in bodies[0]
    (get,) = tally.calls
    assert get.capacity_reported
    assert get.read_units > 0 and get.write_units == 0


def test_a_refused_call_is_still_a_call(counter: DynamoCounter) -> None:
    from chalicelib.identity.models import KeyItem

    _key("IDENT#dup").save(add_version_condition=False)
    with counter.measure() as tally, pytest.raises(PutError):
        _key("IDENT#dup").save(KeyItem.pk.does_not_exist(), add_version_condition=False)
    assert tally.by_operation == {"PutItem": 1}
    assert tally.calls[0].error_code == "ConditionalCheckFailedException"


def test_measure_counts_only_its_own_block_and_detach_stops_counting(counter: DynamoCounter) -> None:
    from chalicelib.identity import directory

    directory.lookup("IDENT#before")
    with counter.measure() as tally:
        directory.lookup("IDENT#inside")
    assert tally.count == 1
    counter.detach()
    directory.lookup("IDENT#after")
    assert counter.tally.count == 0
    assert tally.count == 1


def test_transaction_estimate_prices_writes_and_checks_as_aws_does() -> None:
    big = {"pk": {"S": "p"}, "sk": {"S": "s"}, "blob": {"S": "x" * 1500}}
    params = {
        "TransactItems": [
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "p"}, "sk": {"S": "s"}}}},
            {"Put": {"TableName": "t", "Item": big}},
            {"Update": {"TableName": "t", "Key": {}, "UpdateExpression": "SET a = :a"}},
            {"ConditionCheck": {"TableName": "t", "Key": {}, "ConditionExpression": "attribute_not_exists(pk)"}},
        ]
    }
    # 2 WCU per KB per write (the 1.5 KB put is 2 KB), 2 RCU per condition check.
    assert transaction_estimate(params) == (2.0, 2 + 4 + 2, 4)


def test_empty_tally() -> None:
    tally = Tally()
    assert (tally.count, tally.operations_text(), tally.read_units, tally.write_units) == (0, "-", 0, 0)
