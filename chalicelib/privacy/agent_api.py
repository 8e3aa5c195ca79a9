"""Agents: the members' account deletion requests and their deadlines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.privacy import deletion
else:  # loaded when a view first runs (core/lazy.py)
    deletion = lazy_module("chalicelib.privacy.deletion")

api = Api(__name__, "agent")


@api.route("/v1/agent/privacy/deletions", "GET", auth="agent", response="privacy.schemas.DeletionList",
           errors=("unauthorized", "invalid_token", "token_expired", "forbidden"),
           summary="Account deletion requests not yet erased, soonest first: when each takes effect, the deadline "
                   "(15 working days from the request) and whether it is overdue (then a follow-up case is open)",
           examples={"response": {"items": [{"customer_id": "c_8f14e45fceea167a5a36", "status": "cooling_off",
                                             "requested_at": "2027-01-06T02:00:00.000+00:00",
                                             "effective_at": "2027-01-13T02:00:00.000+00:00", "reason": None,
                                             "due_by": "2027-01-27", "overdue": False, "case_opened_at": None}]}})
def list_deletion_requests(ctx: RequestContext) -> dict:
    return deletion.agents_list()
