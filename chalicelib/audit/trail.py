"""Reading the audit trail: by staff member, by member or by day (one Query a page), and verifying a day's chains.

Index sort keys are ``<at>#<day>#<shard>#<seq>`` (``core/audit/writer.py``), so a time range is a key condition and
a cursor names the record's own keys.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.core import clock
from chalicelib.core.area import Section360
from chalicelib.core.audit import chain, keys
from chalicelib.core.calendar import start_of_day
from chalicelib.core.config import settings
from chalicelib.core.dynamo import paging
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.errors import AppError

MEMBER_360_LIMIT = 10


def _bad(field: str, issue: str) -> AppError:
    return AppError("validation_error", details=[{"field": field, "issue": issue}])


def _bound(text: str | None, field: str, end: bool) -> str | None:
    """A ``from``/``to`` as the index's time prefix (UTC ISO, as records are stamped)."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = start_of_day(day + timedelta(days=1) if end else day)
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                raise ValueError
    except ValueError:
        raise _bad(field, "must be a day (YYYY-MM-DD) or an ISO 8601 instant with its offset") from None
    return clock.iso(moment.astimezone(UTC))  # records are stamped in UTC: compare like with like


def view(raw: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(raw["body"]["S"])
    out = {k: body.get(k) for k in ("actor", "role", "action", "route", "member", "reason", "request_id", "channel",
                                    "at")}
    out.update(record_id=f"{body['day']}/{int(body['shard']):02d}/{int(body['seq'])}", target=body.get("target") or {},
               writes=body.get("writes") or [], changes=body.get("changes"), hash=raw["hash"]["S"])
    return out


def _index_sk_keys(index: str, partition: str, sk: str) -> dict[str, Any]:
    at_day_shard_seq = sk.rsplit("#", 3)
    if len(at_day_shard_seq) != 4:
        raise _bad("cursor", "is not a valid cursor")
    _, day, shard, seq = at_day_shard_seq
    try:
        key_sk = keys.record_sk(int(shard), int(seq))
    except ValueError:
        raise _bad("cursor", "is not a valid cursor") from None
    return {"pk": {"S": keys.day_pk(day)}, "sk": {"S": key_sk}, f"{index}pk": {"S": partition},
            f"{index}sk": {"S": sk}}


def page(actor: str | None, member: str | None, day: str | None, start: str | None, end: str | None, limit: int,
         cursor: str | None) -> dict[str, Any]:
    """Newest first; exactly one Query."""
    if cursor:  # a cursor no list gave is 400 at the cursor, as every list answers, whatever else is missing
        paging.decode_cursor(cursor, "")
    given = [name for name, value in (("actor", actor), ("member", member), ("day", day)) if value]
    if len(given) != 1:
        raise AppError("audit_filter_required")
    low, high = _bound(start, "from", end=False), _bound(end, "to", end=True)
    kwargs: dict[str, Any] = {"TableName": settings().table_name, "Limit": limit, "ScanIndexForward": False}
    if day:
        try:
            date.fromisoformat(day)
        except ValueError:
            raise _bad("day", "is not a real day") from None
        kwargs.update(KeyConditionExpression="pk = :p AND begins_with(sk, :c)",
                      ExpressionAttributeValues={":p": {"S": keys.day_pk(day)}, ":c": {"S": "C"}})
        if cursor:
            sk = paging.decode_cursor(cursor, "C")
            kwargs["ExclusiveStartKey"] = {"pk": {"S": keys.day_pk(day)}, "sk": {"S": sk}}
    else:
        index = "gsi1" if actor else "gsi2"
        partition = keys.by_pk(actor) if actor else keys.of_pk(str(member))
        condition, values = f"{index}pk = :p", {":p": {"S": partition}}
        if low and high:
            condition += f" AND {index}sk BETWEEN :lo AND :hi"
            values.update({":lo": {"S": low}, ":hi": {"S": high}})
        elif low:
            condition += f" AND {index}sk >= :lo"
            values[":lo"] = {"S": low}
        elif high:
            condition += f" AND {index}sk < :hi"
            values[":hi"] = {"S": high}
        kwargs.update(IndexName=index, KeyConditionExpression=condition, ExpressionAttributeValues=values)
        if cursor:
            kwargs["ExclusiveStartKey"] = _index_sk_keys(index, partition, paging.decode_cursor(cursor, ""))
    out = shared_connection().client.query(**kwargs)
    items = out.get("Items", [])
    next_cursor = None
    if "LastEvaluatedKey" in out and items:
        last = out["LastEvaluatedKey"]
        next_cursor = paging.encode_cursor(last["sk"]["S"] if day else last[f"{kwargs['IndexName']}sk"]["S"])
    return {"items": [view(raw) for raw in items], "next_cursor": next_cursor}


def verify(day: str) -> dict[str, Any]:
    """Recompute every chain of ``day`` (a Query of its partition, page after page): the first break, if any."""
    try:
        date.fromisoformat(day)
    except ValueError:
        raise _bad("day", "is not a real day") from None
    found = paging.query_all(KeyConditionExpression="pk = :p", ExpressionAttributeValues={
        ":p": {"S": keys.day_pk(day)}}, ConsistentRead=True)
    chains: dict[int, list[dict[str, Any]]] = defaultdict(list)
    heads: dict[int, dict[str, Any]] = {}
    for raw in found:
        sk = raw["sk"]["S"]
        try:
            shard = int(sk[1:3])
        except ValueError:
            continue
        if sk.startswith("H"):
            heads[shard] = {"seq": raw.get("seq", {}).get("N", "0"), "hash": raw.get("hash", {}).get("S")}
        elif sk.startswith("C"):
            # the record's place is its key, not what its attributes say
            chains[shard].append({"seq": sk.rpartition("#")[2], "prev": raw.get("prev", {}).get("S"),
                                  "hash": raw.get("hash", {}).get("S"), "body": raw.get("body", {}).get("S")})
    problems = []
    for shard in sorted(set(chains) | set(heads)):
        ordered = sorted(chains.get(shard, []), key=lambda r: int(r["seq"]))
        problem = chain.verify_chain(day, shard, ordered, heads.get(shard))
        if problem is not None:
            problems.append(problem)
    first = min(problems, key=lambda p: (p.shard, p.seq)) if problems else None
    return {"day": day, "ok": first is None, "records": sum(len(v) for v in chains.values()),
            "chains": len(set(chains) | set(heads)),
            "first_bad": {"chain": first.shard, "seq": first.seq, "problem": first.problem} if first else None}


def member_records(customer_id: str) -> list[dict[str, Any]]:
    """The personal-data finder: every audit record about the member (gsi2, page after page)."""
    return paging.index_all("gsi2", keys.of_pk(customer_id))


def _read_360(customer_id: str) -> list[dict[str, Any]]:
    out = shared_connection().client.query(
        TableName=settings().table_name, IndexName="gsi2", KeyConditionExpression="gsi2pk = :p",
        ExpressionAttributeValues={":p": {"S": keys.of_pk(customer_id)}}, ScanIndexForward=False,
        Limit=MEMBER_360_LIMIT)
    items: list[dict[str, Any]] = out.get("Items", [])
    return items


def _render_360(found: list[dict[str, Any]], _member: Any, _now: Any) -> dict[str, Any]:
    return {"audit_trail": [view(raw) for raw in found]}


member_360 = Section360(render=_render_360, read=_read_360, keys="chalicelib.audit.http.admin_schemas:Audit360")
