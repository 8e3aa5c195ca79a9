"""Members' surveys: the list, and answering one (Idempotency-Key) with its points, once.

An answer is one read of the survey (and of the idempotency record: a replay stops there), then the member's points
change (``execute_with``: one consistent read, one transaction) carrying, besides the ledger entry of kind
``survey``, the survey marked answered (conditioned on ``status = open``: two devices at once, one answer and one
award; the other gets 409 ``survey_answered``; a survey withdrawn meanwhile, its service voided, 409
``survey_withdrawn``), the idempotency record, the aggregates' counters and, for a detractor,
the callback case. Bad input is refused before anything is written.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from chalicelib.core import clock, idempotency, results
from chalicelib.core.calendar import business_day
from chalicelib.core.dynamo import keys, paging
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result
from chalicelib.points import public as points_area
from chalicelib.points.public import PointsState
from chalicelib.surveys import aggregates, callbacks, points_settings, rules
from chalicelib.surveys.models import SURVEY_PREFIX, SurveyItem

SCOPE = "POST /v1/me/surveys/{survey_id}/answers"
_SURVEY_ID = re.compile(r"^svy_[0-9a-z]{1,13}_[0-9a-f]{12}$")


def status_of(item: SurveyItem, now: datetime) -> str:
    if item.status in ("answered", "withdrawn"):
        return str(item.status)
    return "expired" if now >= datetime.fromisoformat(item.expires_at) else "open"


def view(item: SurveyItem, now: datetime, english: bool = False) -> dict[str, Any]:
    answered = item.answered_at is not None
    out: dict[str, Any] = {
        "survey_id": item.survey_id, "kind": item.kind,
        "subject": {"type": item.kind, "id": item.subject_id, "title": item.title},
        "scale": item.scale, "questions": rules.questions(item.kind, english),
        "points": (int(item.points_awarded or 0) if answered else 0 if item.status == "withdrawn"
                   else points_settings.points_for(item.kind)),
        "status": status_of(item, now), "issued_at": item.issued_at, "expires_at": item.expires_at,
        "answer": None,
    }
    if item.withdrawn_at:
        out["withdrawn_at"] = item.withdrawn_at
    if answered:
        out["answer"] = {"score": int(item.score) if item.score is not None else None,
                         "solved_first_contact": item.solved_first_contact, "comment": item.comment,
                         "answered_at": item.answered_at, "points_awarded": int(item.points_awarded or 0),
                         "points_reversed": int(item.points_reversed or 0)}
    return out


def my_surveys(customer_id: str, limit: int, cursor: str | None, english: bool = False) -> dict[str, Any]:
    """``GET /v1/me/surveys``: newest first, open, answered and expired alike (one Query of ``H#SURVEY#``)."""
    raw, next_cursor = paging.newest_page(customer_id, SURVEY_PREFIX, limit, cursor)
    now = clock.now()
    return {"items": [view(SurveyItem.from_raw_data(r), now, english) for r in raw], "next_cursor": next_cursor}


def _get(customer_id: str, survey_id: str) -> SurveyItem:
    if not _SURVEY_ID.match(survey_id):
        raise AppError("not_found")
    try:
        return SurveyItem.get(keys.customer_pk(customer_id), f"{SURVEY_PREFIX}{survey_id}", consistent_read=True)
    except SurveyItem.DoesNotExist:
        raise AppError("not_found") from None


def _check(survey: SurveyItem, score: int, solved_first_contact: bool | None, comment: str | None,
           now: datetime) -> None:
    if survey.status == "answered":
        raise AppError("survey_answered")
    if survey.status == "withdrawn":
        raise AppError("survey_withdrawn")
    if status_of(survey, now) == "expired":
        raise AppError("survey_expired")
    details = []
    if (issue := rules.score_issue(survey.scale, score)) is not None:
        details.append({"field": "score", "issue": issue})
    if solved_first_contact is not None and survey.kind != "case":
        details.append({"field": "solved_first_contact", "issue": "is asked only after a follow-up case"})
    if (issue := rules.comment_issue(comment)) is not None:
        details.append({"field": "comment", "issue": issue})
    if details:
        raise AppError("validation_error", details=details)


def answer(customer_id: str, survey_id: str, score: int, solved_first_contact: bool | None, comment: str | None,
           idempotency_key: str | None) -> Result:
    """``POST /v1/me/surveys/{id}/answers``: 201 ``{survey_id, points_awarded, callback_case_id}``."""
    req = idempotency.request(keys.customer_pk(customer_id), SCOPE, idempotency_key,
                              {"survey_id": survey_id, "score": score, "solved_first_contact": solved_first_contact,
                               "comment": comment})
    stored = idempotency.get(req)
    if stored is not None:
        return idempotency.replay_response(stored)
    survey = _get(customer_id, survey_id)
    now = clock.now()
    _check(survey, score, solved_first_contact, comment, now)
    points = points_settings.points_for(survey.kind)
    at = clock.iso(now)
    day = business_day(now).isoformat()
    callback = rules.is_detractor(survey.scale, score)
    body: dict[str, Any] = {"survey_id": survey_id, "points_awarded": points, "callback_case_id": None}

    def extra(tx: Tx, state: PointsState) -> None:
        tx.update("survey", SurveyItem(pk=survey.pk, sk=survey.sk), [
            SurveyItem.status.set("answered"), SurveyItem.score.set(score), SurveyItem.answered_at.set(at),
            SurveyItem.points_awarded.set(points),
            *([SurveyItem.solved_first_contact.set(solved_first_contact)] if solved_first_contact is not None else []),
            *([SurveyItem.comment.set(comment)] if comment else []),
            *([SurveyItem.callback_case_id.set(callbacks.case_id_of(customer_id, survey_id))] if callback else []),
        ], SurveyItem.status == "open")
        if callback:
            tier = points_area.tier_decision(state, points_area.current(), business_day(now)).tier
            body["callback_case_id"] = callbacks.case_in(tx, survey, score, comment, day, (tier.code, tier.rank),
                                                         state.profile.member_no, now)
        aggregates.add_in(tx, dict(survey.groups), day,
                          rules.answer_counters(survey.scale, score, solved_first_contact, callback))
        idempotency.record_in(tx, req, "created", dict(body))

    try:
        def step(tx: Tx, state: PointsState) -> None:
            if points > 0:
                points_area.earn_in(tx, state, points, kind="survey", reference=f"survey:{survey_id}")
            else:  # nothing earned: still serialised with a void of the service taking points back
                points_area.hold_in(tx, state)
            extra(tx, state)

        points_area.execute_with(customer_id, step)
    except TxCancelled as exc:
        if (replayed := idempotency.replay_if_recorded(req, exc)) is not None:
            return replayed
        if "survey" in exc.failed:  # answered from another device, or withdrawn (its service voided) meanwhile
            withdrawn = _get(customer_id, survey_id).status == "withdrawn"
            raise AppError("survey_withdrawn" if withdrawn else "survey_answered") from None
        raise
    logger.info("survey answered", extra={"customer_id": customer_id, "survey_id": survey_id, "kind": survey.kind,
                                          "points": points, "callback": callback})
    return results.created(body)
