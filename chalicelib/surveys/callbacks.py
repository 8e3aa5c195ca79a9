"""Detractor recovery: an unhappy answer (CSAT 1-2, NPS 0-6) opens a follow-up case of kind ``callback``.

The case is written in the answer's own transaction (so it is in the agents' queue the moment the answer is: well
within the minute the issue allows), in the member's partition as every case is (``CASE#cb_<survey_id>``, its case
ID ``fu.<customer>.cb_<survey_id>``), with the same targets (respond within 15 minutes, close within 24 hours) and the
member's tier as its priority. It has no transaction behind it: the agent calls the member back and resolves it;
resolving it issues no survey (``issuing.issue_in``) and counts the callback closed, in or out of its SLA, in the
supervisors' aggregates (the ``settle`` hook below, in the resolution's transaction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core import clock
from chalicelib.core.dynamo.tx import Tx
from chalicelib.followups.public import (
    CLOSE_WITHIN,
    QUEUE_PREFIX,
    RESPOND_WITHIN,
    FollowUpCaseItem,
    case_id_for,
    case_key,
    queue_sort_key,
)
from chalicelib.surveys import aggregates
from chalicelib.surveys.issuing import CALLBACK_KIND
from chalicelib.surveys.models import SurveyItem


def transaction_id_of(survey_id: str) -> str:
    return f"cb_{survey_id}"


def case_id_of(customer_id: str, survey_id: str) -> str:
    return case_id_for(customer_id, transaction_id_of(survey_id))


def case_in(tx: Tx, survey: SurveyItem, score: int, comment: str | None, answered_day: str,
            tier: tuple[str | None, int], member_no: str | None, now: datetime) -> str:
    """Add the callback case of ``survey`` to ``tx`` (put if absent: one per survey); returns its case ID."""
    transaction_id = transaction_id_of(survey.survey_id)
    case_id = case_id_for(survey.customer_id, transaction_id)
    pk, sk = case_key(survey.customer_id, transaction_id)
    opened_at = clock.iso(now)
    tier_code, rank = tier
    message = {"kind": CALLBACK_KIND, "transaction_id": transaction_id, "customer_id": survey.customer_id,
               "survey_id": survey.survey_id, "service": {"type": survey.kind, "id": survey.subject_id,
                                                          "title": survey.title},
               "scale": survey.scale, "score": score, "comment": comment, "groups": dict(survey.groups),
               "answered_day": answered_day}
    case = FollowUpCaseItem(
        pk=pk, sk=sk, case_id=case_id, customer_id=survey.customer_id, transaction_id=transaction_id,
        kind=CALLBACK_KIND, reference=f"survey:{survey.survey_id}", message=message, status="open",
        tier_code=tier_code, tier_rank=rank, opened_at=opened_at, respond_by=clock.iso(now + RESPOND_WITHIN),
        close_by=clock.iso(now + CLOSE_WITHIN), last_error=None, attempts=[],
        actions=[{"at": opened_at, "by": "system", "action": "opened",
                  "detail": f"{survey.scale} {score} on survey {survey.survey_id}"}],
        notes=[], updated_at=opened_at, gsi2pk=f"{QUEUE_PREFIX}open", gsi2sk=queue_sort_key(rank, opened_at, case_id),
        member_no=member_no, attempt_count=0,
        subject={"name": survey.title[:60], "score": score, "scale": survey.scale},
    )
    tx.put("callback_case", case, FollowUpCaseItem.pk.does_not_exist())
    return case_id


def describe(case: FollowUpCaseItem) -> dict[str, Any] | None:
    """The case page's record: the survey, the service, the score and the member's comment."""
    message = dict(case.message or {})
    return {k: message.get(k) for k in ("survey_id", "service", "scale", "score", "comment")}


def settle(tx: Tx, case: FollowUpCaseItem, resolution: str, at: str) -> None:
    """Counted closed (and in SLA when before ``close_by``) on the answer's day, in the answer's groups."""
    message = dict(case.message or {})
    day = str(message.get("answered_day") or at[:10])
    in_sla = datetime.fromisoformat(at) <= datetime.fromisoformat(case.close_by)
    aggregates.add_in(tx, dict(message.get("groups") or {}), day, {"cbc": 1, "cbs": int(in_sla)},
                      label="callback_closed")
