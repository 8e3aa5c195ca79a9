"""Member facts kept current from the table's stream (the segments area's ``StreamHandler``).

Each record of a source item becomes one UpdateItem of the member's ``FACTS`` item, setting what that item says
(absolute values from its new image, so a record delivered twice writes the same) and adding 1 to ``ver`` (the
segment evaluation conditions on it). Dates that only move forward (the last order, visit) are set only when newer.

| source (sort key) | facts |
|---|---|
| ``M#PROFILE`` | tier, consents, tags (event tags), enrolled_on, member_no, gone (merged away or erased) |
| ``M#POINTS`` | points_balance, last_check_in_on, tier_stats (orders and spend per month: ``orders_12m``...) |
| ``M#BUCKET#<day>`` | ``bkt_<day>``: the points expiring that day (``points_expiring_30d``) |
| ``M#PLUS`` | plus_expires_on |
| ``ORDER`` (``ORDER#<no>``) | last_order_on |
| ``H#APPT#`` checked in | last_visit_on |
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.observability import metrics
from chalicelib.segments import store

SOURCES = ("M#PROFILE", "M#POINTS", "M#BUCKET#", "M#PLUS", "ORDER", "H#APPT#")


def _s(image: dict[str, Any], name: str) -> str | None:
    v = image.get(name) or {}
    return v.get("S")


def _n(image: dict[str, Any], name: str) -> int:
    v = image.get(name) or {}
    return int(float(v.get("N", "0")))


def update_of(event: str, keys_: dict[str, Any], image: dict[str, Any]
              ) -> tuple[str, dict[str, Any], str | None] | None:
    """``(customer_id, {attribute: value or None to remove}, only-if-newer attribute)`` a record asks, or None."""
    pk, sk = str(keys_["pk"]["S"]), str(keys_["sk"]["S"])
    if sk == "ORDER":
        cid, paid = _s(image, "customer_id"), _s(image, "paid_at") or _s(image, "created_at")
        return (cid, {"last_order_on": paid[:10]}, "last_order_on") if event == "INSERT" and cid and paid else None
    if not pk.startswith("CUST#"):
        return None
    cid = pk[len("CUST#"):]
    if sk == "M#PROFILE":
        if event == "REMOVE" or _s(image, "merged_into"):
            return cid, {"gone": True}, None
        if _s(image, "closed_at"):  # erased: in no segment again, and what described them goes
            return cid, {"gone": True, "tags": None, "consents": None, "member_no": None}, None
        consents = (image.get("consents") or {}).get("M") or {}
        return cid, {
            "tier": _s(image, "tier_code") or "base", "member_no": _s(image, "member_no"),
            "enrolled_on": (_s(image, "created_at") or "")[:10] or None,
            "consents": {k: bool(v.get("BOOL")) for k, v in consents.items() if "BOOL" in v},
            "tags": sorted((image.get("tags") or {}).get("SS") or []) or None, "gone": None,
        }, None
    if sk == "M#POINTS":
        if event == "REMOVE":
            return None
        raw_stats = (image.get("tier_stats") or {}).get("S")  # a JSONAttribute: JSON text
        stats = json.loads(raw_stats) if raw_stats else None
        return cid, {"points_balance": _n(image, "points_balance"), "last_check_in_on": _s(image, "checkin_last_day"),
                     "tier_stats": stats}, None
    if sk.startswith("M#BUCKET#"):
        day = sk[len("M#BUCKET#"):]
        return cid, {f"{store.BUCKET_ATTR}{day}": None if event == "REMOVE" else _n(image, "points")}, None
    if sk == "M#PLUS":
        expires = None if event == "REMOVE" else (_s(image, "expires_at") or "")[:10] or None
        return cid, {"plus_expires_on": expires}, None
    if sk.startswith("H#APPT#") and event != "REMOVE" and _s(image, "status") == "checked_in":
        return cid, {"last_visit_on": _s(image, "day") or (_s(image, "checked_in_at") or "")[:10]}, "last_visit_on"
    return None


def apply(customer_id: str, changes: dict[str, Any], newer: str | None = None) -> bool:
    """One UpdateItem of the facts item; False when a forward-only date was not newer (nothing written)."""
    names: dict[str, str] = {"#ver": "ver", "#segs": "segs", "#cid": "customer_id", "#fid": store.FACTS_ID}
    values: dict[str, Any] = {":one": {"N": "1"}, ":empty": {"M": {}}, ":cid": {"S": customer_id}}
    # facts_id puts the item on the sparse ``facts`` index (set once: an unchanged key writes no index entry)
    sets, removes = ["#segs = if_not_exists(#segs, :empty)", "#cid = :cid", "#fid = if_not_exists(#fid, :cid)"], []
    for n, (attr, value) in enumerate(sorted(changes.items())):
        names[f"#a{n}"] = attr
        if value is None:
            removes.append(f"#a{n}")
        else:
            values[f":v{n}"] = store.raw(value)
            sets.append(f"#a{n} = :v{n}")
    expression = f"SET {', '.join(sets)} ADD #ver :one" + (f" REMOVE {', '.join(removes)}" if removes else "")
    kwargs: dict[str, Any] = {"TableName": store.table(), "Key": store.facts_key(customer_id),
                              "UpdateExpression": expression, "ExpressionAttributeNames": names,
                              "ExpressionAttributeValues": values}
    if newer:
        n = sorted(changes).index(newer)
        kwargs["ConditionExpression"] = f"attribute_not_exists(#a{n}) OR #a{n} < :v{n}"
    try:
        store.client().update_item(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def handle_raw(raw: dict[str, Any]) -> None:
    """The stream handler: a source record -> the member's facts (the facts' own record then moves segments)."""
    ddb = raw.get("dynamodb") or {}
    keys_ = ddb.get("Keys") or ddb.get("NewImage")
    if not keys_:
        return
    asked = update_of(str(raw.get("eventName")), keys_, ddb.get("NewImage") or {})
    if asked is None:
        return
    cid, changes, newer = asked
    if apply(cid, changes, newer):
        metrics.add_metric(name="MemberFactsUpdated", unit="Count", value=1)
