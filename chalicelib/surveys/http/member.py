"""Members' service surveys: the list, and answering one (Idempotency-Key; points once)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result

if TYPE_CHECKING:
    from chalicelib.surveys import answers
else:  # loaded when a view first runs (core/lazy.py)
    answers = lazy_module("chalicelib.surveys.answers")

api = Api(__name__, "surveys", schemas="chalicelib.surveys.http.schemas")

SURVEY_ID = "svy_0mimf7k2w_3f9a1c2b4d5e"
SURVEY_EXAMPLE = {
    "survey_id": SURVEY_ID, "kind": "appointment",
    "subject": {"type": "appointment", "id": "apt_19a7f0c3b2e4f1a2b3c4d", "title": "肌肤检测 · 徐家汇旗舰店"},
    "scale": "csat", "questions": [{"id": "score", "text": "您对本次服务满意吗？（1 非常不满意 - 5 非常满意）",
                                    "type": "score", "min": 1, "max": 5}],
    "points": 20, "status": "open", "issued_at": "2026-12-06T06:00:00.000+00:00",
    "expires_at": "2026-12-20T06:00:00.000+00:00", "answer": None,
}


@api.route("/v1/me/surveys", "GET", auth="member", query="SurveyListQuery", response="SurveyList",
           errors=("validation_error",),
           summary="My service surveys, newest first: open, answered and expired (one per service received: a "
                   "follow-up case resolved, an appointment attended, an event checked in)",
           examples={"response": {"items": [SURVEY_EXAMPLE], "next_cursor": None}})
def list_my_surveys(ctx: RequestContext) -> dict:
    """Paged with ``limit``/``cursor``; ``status`` is computed (an open survey past ``expires_at`` is expired)."""
    return answers.my_surveys(ctx.customer_id, ctx.query.limit, ctx.query.cursor, ctx.english)


@api.route("/v1/me/surveys/{survey_id}/answers", "POST", auth="member", status=201, body="SurveyAnswerIn",
           response="SurveyAnswerOut", idempotent=True,
           errors=("validation_error", "malformed_json", "idempotency_key_required",
                   "idempotency_key_reused", "not_found", "survey_answered", "survey_withdrawn", "survey_expired",
                   "service_unavailable"),
           summary="Answer a survey: the answer, its points (ledger kind survey), the supervisors' counters and, for "
                   "an unhappy answer (CSAT 1-2, NPS 0-6), a callback case in the agents' queue, in one transaction",
           examples={"request": {"score": 2, "comment": "等了很久"},
                     "response": {"survey_id": SURVEY_ID, "points_awarded": 20,
                                  "callback_case_id": f"fu.c_8f14e45fceea167a5a36.cb_{SURVEY_ID}"}})
def answer_survey(ctx: RequestContext, survey_id: str) -> Result:
    """409 ``survey_answered`` for a second answer (another device, another key), ``survey_withdrawn`` once its
    service was voided, 410 ``survey_expired``, 404 for
    an unknown survey or another member's; a bad score or comment is 400 and records nothing."""
    body = ctx.body
    return answers.answer(ctx.customer_id, survey_id, body.score, body.solved_first_contact, body.comment,
                          ctx.idempotency_key)
