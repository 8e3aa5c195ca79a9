"""The agents' follow-up queue: cases of transactions that ran out of retries (``cases.py``, ``actions.py``,
``case_resolution.py``, ``agent_retry.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.followups.examples import CASE_ID, SUMMARY

if TYPE_CHECKING:
    from chalicelib.followups import actions, agent_retry, bulk, case_resolution, cases
else:  # loaded when a view first runs (core/lazy.py)
    actions = lazy_module("chalicelib.followups.actions")
    agent_retry = lazy_module("chalicelib.followups.agent_retry")
    bulk = lazy_module("chalicelib.followups.bulk")
    case_resolution = lazy_module("chalicelib.followups.case_resolution")
    cases = lazy_module("chalicelib.followups.cases")


api = Api(__name__, "agent")

HOLDER_ERRORS = ("case_not_claimed", "case_claimed_by_other", "case_already_resolved")

CASE = {
    **SUMMARY, "status": "claimed", "claimed_by": "stf_agent", "claimed_at": "2026-11-23T05:03:00.000+00:00",
    "responded_at": "2026-11-23T05:03:00.000+00:00",
    "transaction": {
        "transaction_id": "txn_19a7f0c3b2e4f1a2b3c4d", "kind": "redemption_fulfillment", "status": "needs_follow_up",
        "reference": "rdm_19a7f0c3b2e4f1a2b3c4d",
        "payload": {"redemption_id": "rdm_19a7f0c3b2e4f1a2b3c4d", "reward_id": "rwd_5f2c9a7e1b3d4c60", "quantity": 1},
        "created_at": "2026-11-23T04:59:45.000+00:00", "updated_at": "2026-11-23T05:00:00.000+00:00",
        "attempt_count": 4, "last_error": "simulated partner failure (rate 1)",
    },
    "attempts": [
        {"at": "2026-11-23T04:59:45.000+00:00", "ok": False, "where": "request",
         "error": "simulated partner failure (rate 1)"},
        {"at": "2026-11-23T04:59:47.000+00:00", "ok": False, "where": "retry_worker",
         "error": "simulated partner failure (rate 1)"},
        {"at": "2026-11-23T05:00:00.000+00:00", "ok": False, "where": "follow_up_queue",
         "error": "retries exhausted; handed to the agents' follow-up queue"},
    ],
    "member": {"customer_id": "c_8f14e45fceea167a5a36", "member_no": "1234567897", "name": "李雷",
               "tier_code": "gold", "phone_masked": "138****5678", "phone": "13800005678", "contact_revealed": True},
    "resolution_note": None,
    "notes": [{"at": "2026-11-23T05:04:00.000+00:00", "by": "stf_agent", "text": "已电话联系会员"}],
    "actions": [{"at": "2026-11-23T05:00:00.000+00:00", "by": "system", "action": "opened"},
                {"at": "2026-11-23T05:03:00.000+00:00", "by": "stf_agent", "action": "claimed"}],
    "record": None,
}


def _staff(ctx: RequestContext) -> str:
    assert ctx.principal is not None
    return ctx.principal.staff_id or ctx.principal.subject


@api.route("/v1/agent/follow-ups", "GET", auth="agent", query="CaseQueue",
           response="CasePage", errors=("validation_error", "not_found"),
           summary="The follow-up queue by status: highest tier first, then oldest (one index Query)",
           examples={"response": {"items": [SUMMARY], "next_cursor": None}})
def list_follow_ups(ctx: RequestContext) -> dict:
    return cases.list_cases(ctx.query.status, ctx.query.limit, ctx.query.cursor)


@api.route("/v1/agent/follow-ups/{case_id}", "GET", auth="agent", response="CaseOut",
           errors=("not_found", "service_unavailable"),
           summary="A case: the failed transaction, every attempt with its error, the member's contact (the full "
                   "phone only for the agent who claimed it)",
           examples={"response": CASE})
def get_follow_up(ctx: RequestContext, case_id: str) -> dict:
    return cases.get_case(case_id, _staff(ctx))


@api.route("/v1/agent/follow-ups/{case_id}/claim", "POST", auth="agent", response="CaseOut",
           errors=("not_found", "case_claimed_by_other", "case_already_resolved",
                   "service_unavailable"),
           summary="Claim a case (one agent at a time; claiming your own case again changes nothing)",
           examples={"response": CASE})
def claim_follow_up(ctx: RequestContext, case_id: str) -> dict:
    return actions.claim(case_id, _staff(ctx))


@api.route("/v1/agent/follow-ups/{case_id}/release", "POST", auth="agent", body="ReleaseIn",
           response="CaseOut",
           errors=("validation_error", "malformed_json", "not_found", *HOLDER_ERRORS,
                   "service_unavailable"),
           summary="Give a claimed case back to the queue (the claimant only)",
           examples={"request": {"note": "交班"}, "response": {**CASE, "status": "open", "claimed_by": None}})
def release_follow_up(ctx: RequestContext, case_id: str) -> dict:
    return actions.release(case_id, _staff(ctx), ctx.body.note)


@api.route("/v1/agent/follow-ups/{case_id}/notes", "POST", auth="agent", body="NoteIn",
           response="CaseOut",
           errors=("validation_error", "malformed_json", "not_found", "service_unavailable"),
           summary="Add a note to a case (any agent)",
           examples={"request": {"text": "已电话联系会员"}, "response": CASE})
def note_follow_up(ctx: RequestContext, case_id: str) -> dict:
    return actions.add_note(case_id, _staff(ctx), ctx.body.text)


@api.route("/v1/agent/follow-ups/{case_id}/retry", "POST", auth="agent", response="CaseOut",
           errors=("not_found", *HOLDER_ERRORS, "case_not_retryable", "case_transaction_settled",
                   "service_unavailable"),
           summary="Retry now (the claimant): the transaction's redo runs once, idempotently; on success the case "
                   "resolves as completed_by_retry",
           examples={"response": {**CASE, "retry": {"ok": False, "error": "simulated partner failure (rate 1)"}}})
def retry_follow_up(ctx: RequestContext, case_id: str) -> dict:
    return agent_retry.retry_now(case_id, _staff(ctx))


@api.route("/v1/agent/follow-ups/{case_id}/resolve", "POST", auth="agent", body="ResolveIn",
           response="CaseOut",
           errors=("validation_error", "malformed_json", "not_found", *HOLDER_ERRORS,
                   "case_not_refundable", "case_transaction_settled", "service_unavailable"),
           summary="Resolve a case (the claimant): completed_manually, refunded (a compensating transaction returns "
                   "the points and the stock, exactly once) or cancelled",
           examples={"request": {"resolution": "refunded", "note": "合作方无法发放，已退回积分"},
                     "response": {**CASE, "status": "resolved", "resolution": "refunded", "resolved_by": "stf_agent",
                                  "resolved_at": "2026-11-23T05:06:00.000+00:00",
                                  "resolution_note": "合作方无法发放，已退回积分",
                                  "compensation": {"points_returned": 1500, "balance_after": 1820,
                                                   "stock_returned": 1}}})
def resolve_follow_up(ctx: RequestContext, case_id: str) -> dict:
    return case_resolution.resolve(case_id, _staff(ctx), ctx.body.resolution, ctx.body.note)


@api.route("/v1/agent/follow-ups/bulk-resolve", "POST", auth="agent", body="BulkResolveIn",
           response="BulkResolveOut", errors=("validation_error", "malformed_json"),
           summary="Resolve up to 50 cases with one resolution and note (cases of one outage): each is claimed if "
                   "open and resolved exactly as by its own claim and resolve routes; the answer reports every case "
                   "(a refused case keeps the single route's code and message and is left as it was)",
           examples={"request": {"case_ids": [CASE_ID], "resolution": "refunded", "note": "合作方故障，统一退回积分"},
                     "response": {"resolved": 1, "failed": 0, "results": [
                         {"case_id": CASE_ID, "ok": True, "status": "resolved", "resolution": "refunded",
                          "compensation": {"points_returned": 1500, "balance_after": 1820, "stock_returned": 1},
                          "error": None}]}})
def bulk_resolve_follow_ups(ctx: RequestContext) -> dict:
    return bulk.bulk_resolve(ctx.body.case_ids, _staff(ctx), ctx.body.resolution, ctx.body.note, ctx.english)
