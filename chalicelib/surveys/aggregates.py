"""The supervisors' counters, kept as surveys are issued and answered, and the summary read from them.

A group's day is split over shards (``SVAGG#<by>`` / ``<day>#<group>#<shard>``), each updated with ``ADD`` in the
transaction of the issue, the answer or the callback's closing: the ``month`` dimension counts every answer of the
day and an event's counts come in a burst after the event, so one item per group and day would be the hot item every
answer's transaction conflicts on. The summary is one Query of a dimension's partition between two days (a second
page at most; a range needing more is refused with ``summary_range_too_large``): it sums shards and days per group.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute
from pynamodb.expressions.update import Action

from chalicelib.core.config import settings
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.tx import Tx
from chalicelib.core.errors import AppError
from chalicelib.surveys import rules
from chalicelib.surveys.models import AGG_PREFIX, AggregateItem

SHARDS = {"month": 8, "event": 8, "store": 4, "agent": 2}
MAX_PAGES = 2
MAX_DAYS = 366


def groups_of(groups: dict[str, str], day: str) -> dict[str, str]:
    """The groups a survey counts in: its service's (store, agent or event) and the month of ``day``."""
    return {**{k: v for k, v in groups.items() if k in SHARDS}, "month": day[:7]}


def add_in(tx: Tx, groups: dict[str, str], day: str, counters: dict[str, int], label: str = "aggregate") -> None:
    """``ADD`` ``counters`` to one random shard of each group's ``day``."""
    for by, group in groups_of(groups, day).items():
        shard = random.randrange(SHARDS[by])
        item = AggregateItem(pk=f"{AGG_PREFIX}{by}", sk=f"{day}#{group}#{shard}", day=day, group=group)
        actions: list[Action] = [AggregateItem.day.set(day), AggregateItem.group.set(group)]
        actions += [NumberAttribute(attr_name=name).add(value) for name, value in counters.items() if value]
        tx.update(f"{label}:{by}", item, actions)


def summary(by: str, since: date, until: date) -> dict[str, Any]:
    """``GET /v1/admin/surveys/summary``: per group of ``by``, the figures of ``[since, until]`` (Shanghai days)."""
    if until < since:
        raise AppError("validation_error", details=[{"field": "to", "issue": "must not be before from"}])
    if (until - since) > timedelta(days=MAX_DAYS):
        raise AppError("validation_error", details=[{"field": "to", "issue": f"at most {MAX_DAYS} days after from"}])
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":pk": {"S": f"{AGG_PREFIX}{by}"}, ":a": {"S": since.isoformat()},
                                      ":b": {"S": f"{until.isoformat()}#\uffff"}},
    }
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    client = shared_connection().client
    for _page in range(MAX_PAGES):
        page = client.query(**kwargs)
        for raw in page.get("Items", []):
            group = raw["group"]["S"]
            for name in rules.COUNTERS:
                if name in raw:
                    sums[group][name] += int(raw[name]["N"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    else:
        raise AppError("summary_range_too_large")
    items = [rules.figures(group, dict(c)) for group, c in sorted(sums.items())]
    return {"by": by, "from": since.isoformat(), "to": until.isoformat(), "items": items}
