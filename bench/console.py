"""The agents' console (issue 15): DynamoDB calls of the follow-up routes the console calls
(``CONSOLE_SCENARIOS``, ``python -m bench --only console``).

Cases are made as the pipeline makes them: partner redemptions accepted for retry while the partner fails, their
retry messages handed to ``intake.open_case``. The console's static files cost no DynamoDB call (they are read from
the package once per process).
"""

from __future__ import annotations

import secrets
from typing import Any

from bench.endpoints import Request, Scenario, Session

BULK_CASES = 5


def _agent() -> tuple[str, str]:
    from chalicelib.core.http.principal import Principal
    from chalicelib.identity import sessions, staff

    name = f"bench-agent-{secrets.token_hex(3)}"
    staff_id = staff.create_staff(name, "bench-agent-pass", "agent", rounds=4)
    return staff_id, str(sessions.issue(Principal(subject=name, role="agent", staff_id=staff_id))["access_token"])


def _cases(count: int) -> list[str]:
    from bench.retry_pipeline import _pending_redemptions
    from chalicelib.followups import intake
    from chalicelib.mall import fulfillment

    try:
        messages = _pending_redemptions(count)
    finally:
        fulfillment.set_faults(fulfillment_failure_rate=0.0)
    opened = [intake.open_case(m) for m in messages]
    return [c for c in opened if c]


def _one_case(s: Session) -> dict[str, Any]:
    staff_id, token = _agent()
    return {"case_id": _cases(1)[0], "token": token, "staff_id": staff_id}


def _claimed_case(s: Session) -> dict[str, Any]:
    st = _one_case(s)
    s.ok(Request("POST", f"/v1/agent/follow-ups/{st['case_id']}/claim", token=st["token"]))
    return st


def _queue_setup(s: Session) -> dict[str, Any]:
    st = _one_case(s)
    _cases(20)  # the first page is full whatever else is in the table
    return st


def _bulk_setup(s: Session) -> dict[str, Any]:
    _staff_id, token = _agent()
    return {"case_ids": _cases(BULK_CASES), "token": token}


CONSOLE_SCENARIOS: list[Scenario] = [
    Scenario("GET /v1/agent/follow-ups (a full page of 20)", 1,
             lambda s, st: Request("GET", "/v1/agent/follow-ups?status=open&limit=20", token=st["token"]),
             setup=_queue_setup, area="console",
             note="one Query on gsi2 (a row's member number and what failed are on the case)"),
    Scenario("GET /v1/agent/follow-ups/{id}", 2,
             lambda s, st: Request("GET", f"/v1/agent/follow-ups/{st['case_id']}", token=st["token"]),
             setup=_one_case, area="console",
             note="BatchGetItem (case, transaction, profile, points) + GetItem (the redemption: describe)"),
    Scenario("POST /v1/agent/follow-ups/{id}/claim", 3,
             lambda s, st: Request("POST", f"/v1/agent/follow-ups/{st['case_id']}/claim", token=st["token"]),
             setup=_one_case, area="console",
             note="BatchGetItem + UpdateItem (conditional claim) + GetItem (describe, for the page)"),
    Scenario("POST /v1/agent/follow-ups/{id}/resolve (refunded)", 6,
             lambda s, st: Request("POST", f"/v1/agent/follow-ups/{st['case_id']}/resolve",
                                   {"resolution": "refunded"}, token=st["token"]),
             setup=_claimed_case, area="console",
             note="BatchGetItem, GetItem (redemption), Query (member), TransactWriteItems, then the page: "
                  "BatchGetItem + GetItem"),
    Scenario(f"POST /v1/agent/follow-ups/bulk-resolve ({BULK_CASES} open cases, refunded)", 6 * BULK_CASES,
             lambda s, st: Request("POST", "/v1/agent/follow-ups/bulk-resolve",
                                   {"case_ids": st["case_ids"], "resolution": "refunded", "note": "bench"},
                                   token=st["token"]),
             setup=_bulk_setup, area="console",
             note="per case: the claim (BatchGetItem + UpdateItem) and the refund as the single route does it "
                  "(BatchGetItem, GetItem, Query, TransactWriteItems), no case page built"),
]
