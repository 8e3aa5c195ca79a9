"""The follow-up queue against its service targets: how many cases wait, and how many are past their SLA.

Every five minutes (the ``followups_sla_watch`` job) the open and claimed queues are read through ``gsi2`` (only the
due dates and first response, a few bytes a case) and two levels are emitted: ``CasesOpen`` and ``CasesPastSla``
(not answered by ``respond_by``, or not closed by ``close_by``: the 15 minutes and 24 hours of the source
documents). The alarm on ``CasesPastSla`` wakes the team lead; the runbook says what to do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core import clock, kpis
from chalicelib.core.config import settings
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.observability import logger, metrics
from chalicelib.followups.models import QUEUE_PREFIX

WAITING_STATUSES = ("open", "claimed")


def _past(value: dict[str, str] | None, now: datetime) -> bool:
    try:
        return bool(value) and datetime.fromisoformat(value["S"]) < now  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return False


def past_sla(raw: dict[str, Any], now: datetime) -> bool:
    """A waiting case is past its SLA when no agent answered by ``respond_by`` or it is still open at ``close_by``."""
    unanswered = "first_response_at" not in raw
    return (unanswered and _past(raw.get("respond_by"), now)) or _past(raw.get("close_by"), now)


def run() -> dict[str, int]:
    """Count the waiting cases and those past their SLA, and emit both as levels."""
    client = shared_connection().client
    now = clock.now()
    waiting = overdue = 0
    for status in WAITING_STATUSES:
        kwargs: dict[str, Any] = {
            "TableName": settings().table_name, "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :p",
            "ExpressionAttributeValues": {":p": {"S": f"{QUEUE_PREFIX}{status}"}},
            "ProjectionExpression": "respond_by, close_by, first_response_at",
        }
        while True:
            page = client.query(**kwargs)
            for raw in page.get("Items", []):
                waiting += 1
                overdue += past_sla(raw, now)
            if not page.get("LastEvaluatedKey"):
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    metrics.add_metric(name=kpis.CASES_OPEN, unit="Count", value=waiting)
    metrics.add_metric(name=kpis.CASES_PAST_SLA, unit="Count", value=overdue)
    if overdue:
        logger.warning("follow-up cases past their SLA", extra={"waiting": waiting, "past_sla": overdue})
    return {"waiting": waiting, "past_sla": overdue}
