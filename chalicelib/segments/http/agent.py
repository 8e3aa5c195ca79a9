"""Agents' reactivation call list (the tasks a call-list campaign made of its members, claimed one agent at a time)
and a member's facts as segment rules name them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.segments import call_tasks, segments
else:  # loaded when a view first runs (core/lazy.py)
    call_tasks = lazy_module("chalicelib.segments.call_tasks")
    segments = lazy_module("chalicelib.segments.segments")

api = Api(__name__, "segments")

TASK = {"task_id": "ct.cp_3f9a1c2b7d6e4f10.c_0123456789abcdef0123", "campaign_id": "cp_3f9a1c2b7d6e4f10",
        "campaign_name": "沉睡高价值会员回访", "customer_id": "c_0123456789abcdef0123", "member_no": "1234567897",
        "tier": "gold", "status": "claimed", "created_at": "2026-12-02T02:00:00.000+00:00", "claimed_by": "stf_agent",
        "claimed_at": "2026-12-02T03:00:00.000+00:00", "claim_until": "2026-12-05T03:00:00.000+00:00",
        "outcome": None, "note": None, "done_at": None}


def _staff(ctx: RequestContext) -> str:
    assert ctx.principal is not None
    return ctx.principal.staff_id or ctx.principal.subject


@api.route("/v1/agent/call-tasks", "GET", auth="agent", query="CallTaskQuery", response="CallTaskList",
           errors=("validation_error", "service_unavailable"),
           summary="The reactivation call list: the tasks I hold, and a page of the pool (oldest first)",
           examples={"response": {"mine": [TASK], "pool": [], "next_cursor": None}})
def list_call_tasks(ctx: RequestContext) -> dict:
    """Two index Queries (gsi2): mine, then the pool's page."""
    return call_tasks.listing(_staff(ctx), ctx.query.limit, ctx.query.cursor)


@api.route("/v1/agent/call-tasks/{task_id}/claim", "POST", auth="agent", response="CallTaskOut",
           errors=("not_found", "call_task_claimed_by_other", "call_task_done", "call_task_limit",
                   "service_unavailable"),
           summary="Claim a call task (one agent at a time, at most the campaign's max_per_agent held; the claim "
                   "lapses after its expires_days). Claiming your own again changes nothing",
           examples={"response": TASK})
def claim_call_task(ctx: RequestContext, task_id: str) -> dict:
    """One transaction: the task conditioned on the revision read, the agent's count conditioned on the limit."""
    return call_tasks.claim(task_id, _staff(ctx))


@api.route("/v1/agent/call-tasks/{task_id}/outcome", "POST", auth="agent", body="CallOutcomeIn",
           response="CallTaskOut",
           errors=("validation_error", "malformed_json", "not_found", "call_task_not_claimed",
                   "call_task_done", "service_unavailable"),
           summary="Record a claimed call's outcome (reached, no_answer, declined): counted in the campaign's results",
           examples={"request": {"outcome": "reached", "note": "会员表示下周到店"},
                     "response": {**TASK, "status": "done", "outcome": "reached", "note": "会员表示下周到店",
                                  "done_at": "2026-12-02T03:10:00.000+00:00"}})
def record_call_outcome(ctx: RequestContext, task_id: str) -> dict:
    """The claimant only; the task, the agent's count and the campaign's counter move in one transaction."""
    return call_tasks.record_outcome(task_id, _staff(ctx), ctx.body.outcome, ctx.body.note)


@api.route("/v1/agent/members/{customer_id}/facts", "GET", auth="agent",
           response="segments.http.admin_schemas.MemberFactsOut",
           errors=("not_found", "service_unavailable"),
           summary="A member's facts as segment rules name them (RFM scores and group, lifecycle stage) and the "
                   "segments they are in",
           examples={"response": {"customer_id": "c_0123456789abcdef0123",
                                  "facts": {"lifecycle": "active", "rfm_group": "loyal", "points_balance": 3200},
                                  "segments": [], "updated_at_version": 7}})
def member_facts(ctx: RequestContext, customer_id: str) -> dict:
    """One GetItem of the member's facts item (kept current from the table's stream)."""
    return segments.member_facts(customer_id)
