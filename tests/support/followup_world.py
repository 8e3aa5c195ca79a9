"""The follow-up tests' world (no tests here): the mall's world plus agents, failed partner redemptions,
the retry and follow-up workers fed with Lambda-shaped SQS events, and the invariant check over every transaction."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chalicelib.core import faults
from chalicelib.core.http.principal import Principal
from chalicelib.identity import sessions, staff
from tests.support.mall_world import MallWorld
from tests.support.partition import items_of
from tests.support.points_world import assert_consistent
from tests.support.sqs import LambdaContext, drain, sqs_event

__all__ = ["FollowUpWorld", "check_invariants", "run_followup_worker", "run_retry_worker"]


def run_retry_worker(messages: list[dict[str, Any]]) -> dict[str, Any]:
    import app as application

    event = sqs_event([json.dumps(m) for m in messages])
    return application.retry_worker(event, LambdaContext(function_name="member-portal-local-retry_worker"))


def run_followup_worker(messages: list[Any], receive_count: int = 4) -> dict[str, Any]:
    import app as application

    event = sqs_event([m if isinstance(m, str) else json.dumps(m) for m in messages], queue="member-portal-followup")
    for record in event["Records"]:
        record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
    return application.followup_worker(event, LambdaContext(function_name="member-portal-local-followup_worker"))


@dataclass
class FollowUpWorld(MallWorld):
    agents: dict[str, str] = field(default_factory=dict)  # username -> access token
    staff_ids: dict[str, str] = field(default_factory=dict)
    sqs: Any = None
    queues: dict[str, Any] = field(default_factory=dict)

    def agent(self, name: str | None = None) -> str:
        name = name or f"agent-{uuid.uuid4().hex[:6]}"
        if name not in self.agents:
            staff_id = staff.create_staff(name, "agent-test-pass", "agent", rounds=4)
            self.staff_ids[name] = staff_id
            self.agents[name] = sessions.issue(Principal(subject=name, role="agent", staff_id=staff_id))[
                "access_token"]
        return self.agents[name]

    def faults(self, rate: float) -> None:
        status, body, _ = self.api.call("PUT", "/v1/dev/faults", {"fulfillment_failure_rate": rate})
        assert status == 200, body
        faults.reset_cache()

    def partner_reward(self, points_cost: int = 300, stock: int = 5) -> str:
        return self.reward(points_cost=points_cost, fulfillment="partner", stock=stock)

    def failed_redemption(self, token: str, reward_id: str, quantity: int = 1) -> dict[str, Any]:
        """A redemption whose partner call failed: 202, and its retry message drained from the retry queue."""
        self.faults(1.0)
        status, body, _ = self.redeem(token, reward_id, quantity=quantity)
        assert status == 202, body
        return body

    def retry_messages(self) -> list[dict[str, Any]]:
        return [m["body"] for m in drain(self.sqs, self.queues["RetryQueue"].url)]

    def open_case(self, token: str, reward_id: str, quantity: int = 1) -> tuple[str, dict[str, Any]]:
        """A failed redemption handed to the follow-up queue (as the redrive policy would): its case ID and 202."""
        accepted = self.failed_redemption(token, reward_id, quantity)
        messages = [m for m in self.retry_messages() if m["transaction_id"] == accepted["transaction_id"]]
        assert len(messages) == 1, messages
        assert run_followup_worker(messages) == {"batchItemFailures": []}
        customer_id = messages[0]["customer_id"]
        return f"fu.{customer_id}.{accepted['transaction_id']}", accepted

    def case(self, case_id: str, token: str, expect: int = 200) -> Any:
        return self.get(f"/v1/agent/follow-ups/{case_id}", token, expect=expect)

    def act(self, case_id: str, action: str, token: str, body: Any = None) -> tuple[int, Any]:
        status, out, _ = self.api.call("POST", f"/v1/agent/follow-ups/{case_id}/{action}", body, token=token)
        return status, out

    def queue(self, token: str, status: str = "open", **query: Any) -> list[dict[str, Any]]:
        params = "&".join(f"{k}={v}" for k, v in {"status": status, **query}.items())
        return self.get(f"/v1/agent/follow-ups?{params}", token)["items"]


def check_invariants(accepted: dict[str, tuple[str, str]], reward_stock: dict[str, int],
                     customers: set[str] | None = None) -> dict[str, int]:
    """Account for every accepted transaction (``{transaction_id: (customer_id, redemption_id)}``): completed,
    retrying (in the outbox or a queue) or needs_follow_up with exactly one case; refunded or failed only through a
    resolved case. None applied twice (one redemption debit each, at most one compensation), every balance equal to
    its ledger, and every reward's stock equal to its start minus the units of redemptions not refunded.
    Returns the count of transactions per status."""
    from chalicelib.core.retry.transactions import TransactionItem
    from chalicelib.followups.models import FollowUpCaseItem
    from chalicelib.mall import rewards
    from chalicelib.mall.models import RedemptionItem

    statuses: Counter[str] = Counter()
    customers = {cid for cid, _ in accepted.values()} | (customers or set())
    units_kept: Counter[str] = Counter()
    for cid in customers:
        txns = {t.transaction_id: t for t in (TransactionItem.from_raw_data(r) for r in items_of(cid, "TXN#"))}
        cases = Counter(FollowUpCaseItem.from_raw_data(r).transaction_id for r in items_of(cid, "CASE#"))
        case_items = {FollowUpCaseItem.from_raw_data(r).transaction_id: FollowUpCaseItem.from_raw_data(r)
                      for r in items_of(cid, "CASE#")}
        redemptions = {r.redemption_id: r for r in (RedemptionItem.from_raw_data(x) for x in items_of(cid, "RDM#"))}
        ledger = [(e["kind"]["S"], e.get("reference", {}).get("S")) for e in items_of(cid, "L#")]
        debits = Counter(ref for kind, ref in ledger if kind == "redemption")
        refunds = Counter(ref for kind, ref in ledger if kind == "compensation")
        for redemption_id, redemption in redemptions.items():
            assert debits[redemption_id] == 1, f"{redemption_id} debited {debits[redemption_id]} times"
            assert refunds[f"refund:{redemption_id}"] == (1 if redemption.status == "refunded" else 0)
            if redemption.status != "refunded":
                units_kept[redemption.reward_id] += int(redemption.quantity)
        for transaction_id, (owner, redemption_id) in accepted.items():
            if owner != cid:
                continue
            txn = txns.get(transaction_id)
            assert txn is not None, f"accepted transaction {transaction_id} was lost"
            redemption = redemptions[redemption_id]
            statuses[txn.status] += 1
            assert cases[transaction_id] <= 1, f"{transaction_id} has {cases[transaction_id]} cases"
            if txn.status == "completed":
                assert redemption.status == "completed", (transaction_id, redemption.status)
                assert transaction_id not in case_items or case_items[transaction_id].status == "resolved"
            elif txn.status == "retrying":
                assert redemption.status == "pending_fulfillment"
                assert transaction_id not in case_items or case_items[transaction_id].status != "resolved"
            elif txn.status == "needs_follow_up":
                assert redemption.status == "pending_fulfillment"
                assert case_items[transaction_id].status in ("open", "claimed"), transaction_id
            elif txn.status in ("refunded", "failed"):
                assert case_items[transaction_id].status == "resolved"
                assert redemption.status == ("refunded" if txn.status == "refunded" else "cancelled")
            else:
                raise AssertionError(f"{transaction_id}: unexpected status {txn.status}")
        assert_consistent(cid)
    for reward_id, start in reward_stock.items():
        rewards.reset_cache()
        reward = rewards.definition(reward_id, fresh=True)
        remaining = sum(r for r, _v in rewards.read_shards(reward, consistent=True).values())
        assert remaining == start - units_kept[reward_id], (reward_id, remaining, start, units_kept[reward_id])
    return dict(statuses)
