"""Campaign conversions: a new order or redemption converts the member's campaigns of the last 14 days, once.

A conversion marker ``CONV#<customer>`` is put if absent with its counter (treated or holdout), so a record the
stream delivers twice counts once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.core import clock
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.segments import store
from chalicelib.segments.campaign_models import (
    CONVERSION_PREFIX,
    MINE_PREFIX,
    WINDOW_DAYS,
    CounterItem,
    ReachedItem,
    campaign_pk,
)
from chalicelib.segments.campaign_reach import counter_sk


def convert(raw: dict[str, Any]) -> None:
    """Stream handler of new orders and redemptions: the member's campaigns of the last 14 days convert, once."""
    if raw.get("eventName") != "INSERT":
        return
    image = (raw.get("dynamodb") or {}).get("NewImage") or {}
    sk = (image.get("sk") or {}).get("S", "")
    pk = (image.get("pk") or {}).get("S", "")
    customer_id = (image.get("customer_id") or {}).get("S") or (pk[5:] if pk.startswith("CUST#") else None)
    if not customer_id or not (sk == "ORDER" or sk.startswith("RDM#")):
        return
    since = clock.iso(clock.now() - timedelta(days=WINDOW_DAYS))
    out = store.client().query(
        TableName=store.table(), KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":pk": {"S": keys.customer_pk(customer_id)}, ":a": {"S": MINE_PREFIX + since},
                                   ":b": {"S": MINE_PREFIX + "~"}})
    for item in out.get("Items", []):
        mine = store.plain(item)
        tx = Tx()
        tx.put("conv", ReachedItem(pk=campaign_pk(mine["campaign_id"]), sk=CONVERSION_PREFIX + customer_id,
                                   customer_id=customer_id, outcome=mine["group"], at=clock.iso()),
               ReachedItem.pk.does_not_exist())
        counter = CounterItem.conv_treated if mine["group"] == "treated" else CounterItem.conv_holdout
        tx.update("counter", CounterItem(pk=campaign_pk(mine["campaign_id"]), sk=counter_sk(customer_id)),
                  [counter.add(1)])
        try:
            tx.commit()
        except TxCancelled as exc:
            if "conv" not in exc.failed:
                raise
