"""Follow-up cases over the in-process API (DynamoDB Local, moto SQS): a failed partner redemption handed to the
follow-up queue becomes one case (whatever the deliveries), the agents' queue orders it, one agent claims it, and
retry / notes / resolve (completed manually, refunded, cancelled) move the case, the transaction, the redemption
and the member's points and stock -- every action recorded, the member notified."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.core.area import FollowUpHooks
from chalicelib.core.retry import dispatch
from chalicelib.followups import actions, case_resolution
from tests.support.followup_world import FollowUpWorld, check_invariants, run_followup_worker
from tests.support.partition import items_of
from tests.support.threads import run_at_once

pytestmark = pytest.mark.integration


@pytest.fixture
def world(followup_world: FollowUpWorld) -> FollowUpWorld:
    return followup_world


def outcome_notices(world: FollowUpWorld, token: str) -> list[str]:
    """After a case's resolution: the member's notifications about the transaction, newest first. A resolved case is
    also a service received, so its resolution invites the member to exactly one survey (written in the same
    transaction, so in the same millisecond: its place among the others is not the test's business)."""
    kinds = [n["kind"] for n in world.get("/v1/me/notifications", token)["items"]]
    assert kinds.count("service_survey") == 1, kinds
    return [k for k in kinds if k != "service_survey"]


# --- opening ---------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_message_on_the_follow_up_queue_becomes_one_case(world: FollowUpWorld):
    cid, token = world.member(points_held=1_000, tier="gold")
    reward_id = world.partner_reward(points_cost=300)
    accepted = world.failed_redemption(token, reward_id)
    [message] = world.retry_messages()
    assert run_followup_worker([message, message]) == {"batchItemFailures": []}  # a duplicate in the batch
    assert run_followup_worker([message]) == {"batchItemFailures": []}  # and a later redelivery
    case_id = f"fu.{cid}.{accepted['transaction_id']}"
    assert len(items_of(cid, "CASE#")) == 1

    agent = world.agent()
    case = world.case(case_id, agent)
    assert (case["status"], case["kind"], case["customer_id"]) == ("open", "redemption_fulfillment", cid)
    assert case["priority"] == {"tier_code": "gold", "tier_rank": 2}
    assert case["respond_by"] > case["opened_at"] and case["close_by"] > case["respond_by"]
    assert not case["response_overdue"] and not case["close_overdue"]
    assert [a["where"] for a in case["attempts"]] == ["request", "follow_up_queue"]
    assert "simulated partner failure" in case["attempts"][0]["error"]
    assert "simulated partner failure" in case["last_error"]
    assert case["transaction"]["status"] == "needs_follow_up"
    assert case["record"]["redemption_id"] == accepted["redemption_id"]
    assert case["record"]["status"] == "pending_fulfillment"
    assert case["member"]["phone"] is None and case["member"]["phone_masked"].count("*") == 4
    assert [a["action"] for a in case["actions"]] == ["opened"]

    txn = world.get(f"/v1/me/transactions/{accepted['transaction_id']}", token)
    assert (txn["status"], txn["queued"]) == ("needs_follow_up", True)  # and off the outbox
    notes = world.get("/v1/me/notifications", token)["items"]
    assert [n["kind"] for n in notes] == ["transaction_needs_follow_up"]
    assert notes[0]["data"]["transaction_id"] == accepted["transaction_id"]
    english = world.api.call("GET", "/v1/me/notifications", token=token, headers={"accept-language": "en"})[1]
    assert english["items"][0]["title"] == "We are on it"


@pytest.mark.slow
def test_a_transaction_settled_meanwhile_gets_no_case(world: FollowUpWorld):
    from tests.support.followup_world import run_retry_worker

    cid, token = world.member(points_held=1_000)
    reward_id = world.partner_reward()
    accepted = world.failed_redemption(token, reward_id)
    [message] = world.retry_messages()
    world.faults(0.0)
    assert run_retry_worker([message]) == {"batchItemFailures": []}  # a late retry worked
    assert run_followup_worker([message]) == {"batchItemFailures": []}
    assert items_of(cid, "CASE#") == []
    assert world.get(f"/v1/me/transactions/{accepted['transaction_id']}", token)["status"] == "completed"


def test_a_malformed_follow_up_message_fails_and_is_never_dropped(world: FollowUpWorld):
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError):
        run_followup_worker(['{"kind": "redemption_fulfillment"}'])
    with pytest.raises(BatchProcessingError):
        run_followup_worker(['{"kind": "no_such_kind", "transaction_id": "t", "customer_id": "c"}'])


def test_a_message_without_its_transaction_record_still_opens_a_case(world: FollowUpWorld):
    cid, _token = world.member()
    message = {"kind": "redemption_fulfillment", "transaction_id": "txn_constructed01", "customer_id": cid,
               "reference": "rdm_constructed01", "redemption_id": "rdm_constructed01"}
    assert run_followup_worker([message]) == {"batchItemFailures": []}
    case = world.case(f"fu.{cid}.txn_constructed01", world.agent())
    assert case["transaction"] is None and case["status"] == "open"
    assert [a["where"] for a in case["attempts"]] == ["follow_up_queue"]


# --- the queue -------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_queue_lists_the_highest_tier_first_then_the_oldest(world: FollowUpWorld):
    from datetime import timedelta

    from chalicelib.core import clock

    reward_id = world.partner_reward(points_cost=100, stock=10)
    opened = []
    start = clock.now()
    for i, tier in enumerate(["base", "platinum", "gold", "base", "gold"]):
        clock.set_now(start + timedelta(seconds=i))
        _cid, token = world.member(points_held=500, tier=tier)
        case_id, _ = world.open_case(token, reward_id)
        opened.append((tier, case_id))
    clock.set_now(None)
    agent = world.agent()
    expected = [c for t, c in opened if t == "platinum"] + [c for t, c in opened if t == "gold"] + [
        c for t, c in opened if t == "base"]
    assert [c["case_id"] for c in world.queue(agent)] == expected
    first = world.get("/v1/agent/follow-ups?status=open&limit=2", agent)
    second = world.get(f"/v1/agent/follow-ups?status=open&limit=2&cursor={first['next_cursor']}", agent)
    third = world.get(f"/v1/agent/follow-ups?status=open&limit=2&cursor={second['next_cursor']}", agent)
    assert [c["case_id"] for c in first["items"] + second["items"] + third["items"]] == expected
    assert third["next_cursor"] is None
    status, body, _ = world.api.call("GET", "/v1/agent/follow-ups?cursor=bm90LWEtY3Vyc29y", token=agent)
    assert (status, body["error"]["code"]) == (400, "validation_error")

    assert world.act(expected[0], "claim", agent)[0] == 200
    assert [c["case_id"] for c in world.queue(agent, "claimed")] == [expected[0]]
    assert expected[0] not in [c["case_id"] for c in world.queue(agent)]
    assert world.queue(agent, "resolved") == []


# --- claiming and contact --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_one_agent_at_a_time_and_only_the_claimant_sees_the_phone(world: FollowUpWorld):
    _cid, token = world.member(points_held=1_000)
    case_id, _ = world.open_case(token, world.partner_reward())
    alice, bob = world.agent("alice"), world.agent("bob")
    status, case = world.act(case_id, "claim", alice)
    assert status == 200, case
    assert (case["status"], case["claimed_by"]) == ("claimed", world.staff_ids["alice"])
    assert case["member"]["contact_revealed"] and len(case["member"]["phone"]) == 11
    status, body = world.act(case_id, "claim", bob)
    assert (status, body["error"]["code"]) == (409, "case_claimed_by_other")
    assert world.case(case_id, bob)["member"]["phone"] is None
    assert world.case(case_id, alice)["member"]["phone"] == case["member"]["phone"]
    assert world.act(case_id, "claim", alice)[0] == 200  # claiming again changes nothing
    assert [a["action"] for a in world.case(case_id, alice)["actions"]] == ["opened", "claimed"]

    for action, body in (("retry", None), ("resolve", {"resolution": "cancelled"})):
        status, out = world.act(case_id, action, bob, body)
        assert (status, out["error"]["code"]) == (409, "case_claimed_by_other"), action
    assert world.act(case_id, "release", bob, {})[1]["error"]["code"] == "case_claimed_by_other"
    status, released = world.act(case_id, "release", alice, {"note": "交班"})
    assert (status, released["status"], released["member"]["phone"]) == (200, "open", None)
    status, out = world.act(case_id, "resolve", alice, {"resolution": "cancelled"})
    assert (status, out["error"]["code"]) == (409, "case_not_claimed")
    assert world.act(case_id, "claim", bob)[1]["claimed_by"] == world.staff_ids["bob"]


@pytest.mark.slow
def test_simultaneous_claims_leave_exactly_one_claimant(world: FollowUpWorld):
    _cid, token = world.member(points_held=1_000)
    case_id, _ = world.open_case(token, world.partner_reward())
    agents = [world.agent(f"racer-{i}") for i in range(6)]
    results = run_at_once(followups_claim, [(case_id, tok, world) for tok in agents])
    assert sorted(results) == [200] + [409] * 5
    case = world.case(case_id, agents[0])
    assert [a["action"] for a in case["actions"]].count("claimed") == 1


def followups_claim(case_id: str, token: str, world: FollowUpWorld) -> int:
    from chalicelib.core.errors import AppError
    from chalicelib.identity.access_token import verify_access_token

    principal = verify_access_token(token)
    try:
        actions.claim(case_id, principal.staff_id or principal.subject)
    except AppError as err:
        return err.status
    return 200


@pytest.mark.slow
def test_notes_from_any_agent_are_recorded(world: FollowUpWorld):
    _cid, token = world.member(points_held=1_000)
    case_id, _ = world.open_case(token, world.partner_reward())
    alice, bob = world.agent("alice"), world.agent("bob")
    assert world.act(case_id, "claim", alice)[0] == 200
    assert world.act(case_id, "notes", bob, {"text": "会员来电询问进度"})[0] == 200
    status, case = world.act(case_id, "notes", alice, {"text": "已回电"})
    assert status == 200
    assert [(n["by"], n["text"]) for n in case["notes"]] == [
        (world.staff_ids["bob"], "会员来电询问进度"), (world.staff_ids["alice"], "已回电")]
    assert all(n["at"] for n in case["notes"])
    assert [a["action"] for a in case["actions"]] == ["opened", "claimed", "note_added", "note_added"]
    assert world.act("fu.c_00000000000000000000.txn_nope", "notes", alice, {"text": "x"})[0] == 404
    assert world.act(case_id, "notes", alice, {"text": ""})[0] == 400


def test_unknown_and_malformed_case_ids_are_404(world: FollowUpWorld):
    agent = world.agent()
    for case_id in ("nope", "fu.c_x", "fu..", "fu.c_1.txn_1", "fu.c_1.txn%231"):
        status, body, _ = world.api.call("GET", f"/v1/agent/follow-ups/{case_id}", token=agent)
        assert (status, body["error"]["code"]) == (404, "not_found"), case_id
        assert world.act(case_id, "claim", agent)[0] == 404


# --- resolving -------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_refund_returns_the_points_and_the_stock_exactly_once(world: FollowUpWorld):
    cid, token = world.member(points_held=1_000)
    reward_id = world.partner_reward(points_cost=300, stock=5)
    case_id, accepted = world.open_case(token, reward_id, quantity=2)
    assert world.balance(token) == 400 and world.stock(reward_id) == 3
    agent = world.agent("alice")
    assert world.act(case_id, "claim", agent)[0] == 200
    status, case = world.act(case_id, "resolve", agent, {"resolution": "refunded", "note": "合作方无法发放"})
    assert status == 200, case
    assert (case["status"], case["resolution"], case["resolution_note"]) == ("resolved", "refunded", "合作方无法发放")
    assert case["compensation"]["points_returned"] == 600 and case["compensation"]["balance_after"] == 1_000
    assert case["compensation"]["stock_returned"] == 2
    assert case["transaction"]["status"] == "refunded" and case["record"]["status"] == "refunded"
    assert case["resolved_by"] == world.staff_ids["alice"]
    assert world.balance(token) == 1_000 and world.stock(reward_id) == 5
    assert world.get(f"/v1/me/transactions/{accepted['transaction_id']}", token)["status"] == "refunded"
    assert world.get(f"/v1/me/redemptions/{accepted['redemption_id']}", token)["status"] == "refunded"
    ledger = world.get("/v1/me/points/ledger", token)["items"]
    assert (ledger[0]["kind"], ledger[0]["delta"], ledger[0]["reference"]) == (
        "compensation", 600, f"refund:{accepted['redemption_id']}")
    assert outcome_notices(world, token) == ["transaction_refunded", "transaction_needs_follow_up"]

    for body in ({"resolution": "refunded"}, {"resolution": "cancelled"}):
        status, out = world.act(case_id, "resolve", agent, body)
        assert (status, out["error"]["code"]) == (409, "case_already_resolved")
    assert world.act(case_id, "retry", agent)[1]["error"]["code"] == "case_already_resolved"
    assert world.act(case_id, "claim", agent)[1]["error"]["code"] == "case_already_resolved"
    assert world.balance(token) == 1_000 and world.stock(reward_id) == 5
    assert [c["case_id"] for c in world.queue(agent, "resolved")] == [case_id]
    assert [a["action"] for a in world.case(case_id, agent)["actions"]] == ["opened", "claimed", "resolved"]
    check_invariants({accepted["transaction_id"]: (cid, accepted["redemption_id"])}, {reward_id: 5})


@pytest.mark.slow
def test_simultaneous_refunds_return_the_points_once(world: FollowUpWorld):
    from chalicelib.core.errors import AppError

    cid, token = world.member(points_held=1_000)
    reward_id = world.partner_reward(points_cost=250, stock=4)
    case_id, accepted = world.open_case(token, reward_id)
    agent = world.agent("alice")
    assert world.act(case_id, "claim", agent)[0] == 200
    staff_id = world.staff_ids["alice"]
    def refund() -> str:
        try:
            case_resolution.resolve(case_id, staff_id, "refunded", None)
            return "ok"
        except AppError as err:
            return err.code

    outcomes = run_at_once(refund, [()] * 5)
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) - {"ok"} <= {"case_already_resolved", "case_transaction_settled"}
    assert world.balance(token) == 1_000 and world.stock(reward_id) == 4
    check_invariants({accepted["transaction_id"]: (cid, accepted["redemption_id"])}, {reward_id: 4})


@pytest.mark.slow
@pytest.mark.parametrize(("resolution", "txn_status", "redemption_status", "notice"), [
    ("completed_manually", "completed", "completed", "transaction_completed"),
    ("cancelled", "failed", "cancelled", "transaction_failed"),
])
def test_completed_manually_and_cancelled_keep_the_points_spent(world: FollowUpWorld, resolution: str,
                                                                 txn_status: str, redemption_status: str, notice: str):
    cid, token = world.member(points_held=1_000)
    reward_id = world.partner_reward(points_cost=300, stock=5)
    case_id, accepted = world.open_case(token, reward_id)
    agent = world.agent()
    assert world.act(case_id, "claim", agent)[0] == 200
    status, case = world.act(case_id, "resolve", agent, {"resolution": resolution, "note": "已人工处理"})
    assert status == 200, case
    assert (case["status"], case["resolution"], case["transaction"]["status"]) == ("resolved", resolution, txn_status)
    assert world.get(f"/v1/me/redemptions/{accepted['redemption_id']}", token)["status"] == redemption_status
    assert world.get(f"/v1/me/transactions/{accepted['transaction_id']}", token)["status"] == txn_status
    assert world.balance(token) == 700 and world.stock(reward_id) == 4
    assert outcome_notices(world, token)[0] == notice
    check_invariants({accepted["transaction_id"]: (cid, accepted["redemption_id"])}, {reward_id: 5})


def test_a_refund_is_refused_for_a_kind_without_a_compensation(world: FollowUpWorld, monkeypatch):
    cid, _token = world.member()
    monkeypatch.setitem(dispatch.followup_hooks(), "test_kind", FollowUpHooks())  # followed up, nothing to refund
    message = {"kind": "test_kind", "transaction_id": "txn_testkind01", "customer_id": cid}
    assert run_followup_worker([message]) == {"batchItemFailures": []}
    agent = world.agent()
    case_id = f"fu.{cid}.txn_testkind01"
    assert world.act(case_id, "claim", agent)[0] == 200
    assert world.act(case_id, "resolve", agent, {"resolution": "refunded"})[1]["error"]["code"] == "case_not_refundable"
    assert world.act(case_id, "retry", agent)[1]["error"]["code"] == "case_not_retryable"
    assert world.act(case_id, "resolve", agent, {"resolution": "cancelled"})[0] == 200


# --- retry now -------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_retry_now_records_a_failure_and_then_completes_the_redemption(world: FollowUpWorld):
    cid, token = world.member(points_held=1_000)
    reward_id = world.partner_reward(points_cost=300, stock=5)
    case_id, accepted = world.open_case(token, reward_id)
    agent = world.agent("alice")
    assert world.act(case_id, "retry", agent)[1]["error"]["code"] == "case_not_claimed"
    assert world.act(case_id, "claim", agent)[0] == 200

    status, case = world.act(case_id, "retry", agent)  # the partner still fails
    assert status == 200, case
    assert case["retry"]["ok"] is False and "simulated partner failure" in case["retry"]["error"]
    assert case["status"] == "claimed" and case["transaction"]["status"] == "needs_follow_up"
    assert [a["where"] for a in case["attempts"]] == ["request", "follow_up_queue", "retry_worker"]
    assert world.get(f"/v1/me/transactions/{accepted['transaction_id']}", token)["status"] == "needs_follow_up"

    world.faults(0.0)
    status, case = world.act(case_id, "retry", agent)
    assert status == 200, case
    assert case["retry"] == {"ok": True, "error": None} or case["retry"]["ok"] is True
    assert (case["status"], case["resolution"]) == ("resolved", "completed_by_retry")
    assert case["transaction"]["status"] == "completed"
    redemption = world.get(f"/v1/me/redemptions/{accepted['redemption_id']}", token)
    assert redemption["status"] == "completed" and len(redemption["partner_codes"]) == 1
    assert world.balance(token) == 700 and world.stock(reward_id) == 4
    assert [a["action"] for a in case["actions"]] == ["opened", "claimed", "retried", "retried"]
    assert outcome_notices(world, token)[0] == "transaction_completed"
    check_invariants({accepted["transaction_id"]: (cid, accepted["redemption_id"])}, {reward_id: 5})


# --- the 360 view ----------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_360_view_shows_profile_points_ledger_redemptions_and_open_cases(world: FollowUpWorld):
    cid, token = world.member(points_held=2_000, tier="silver")
    reward_id = world.partner_reward(points_cost=300)
    in_house = world.reward(points_cost=100, stock=5)
    assert world.redeem(token, in_house)[0] == 201
    case_id, accepted = world.open_case(token, reward_id)
    agent = world.agent()
    view = world.get(f"/v1/agent/members/{cid}", agent)
    assert view["customer_id"] == cid and view["tier"]["code"] == "silver"
    assert view["points"]["balance"] == 1_600
    assert [e["kind"] for e in view["ledger"]][:2] == ["redemption", "redemption"]
    assert {r["status"] for r in view["redemptions"]} == {"completed", "pending_fulfillment"}
    assert [c["case_id"] for c in view["open_cases"]] == [case_id]
    assert view["case_counts"] == {"open": 1, "claimed": 0, "resolved": 0}
    assert view["transactions"][0]["transaction_id"] == accepted["transaction_id"]
    assert "phone" not in view["profile"] and view["profile"]["phone_masked"]
    assert world.api.call("GET", "/v1/agent/members/c_00000000000000000000", token=agent)[0] == 404
    assert world.api.call("GET", f"/v1/agent/members/{cid}", token=token)[0] == 403


@pytest.mark.slow
def test_the_360_view_costs_one_bounded_query_per_prefix(world: FollowUpWorld):
    """The member's ``M#`` items, then one bounded Query per prefix a section shows (ledger, vouchers, redemptions,
    appointments, transactions and cases, events, product-request supports, the audit trail), made at once: the same
    calls whatever the partition's size. Plus renders its membership from the member's ``M#`` items and reads its
    orders."""
    from chalicelib.console import member_360
    from tests.support.points_world import DynamoCalls

    cid, _token = world.member(points_held=100)
    agent = world.agent()
    own: list[int] = []
    gets = 0
    for section in member_360.sections():
        if section.read:
            with DynamoCalls().counting() as alone:
                section.read(cid)
            if set(alone.ops) == {"GetItem"}:  # one item by its key (the member's segment facts)
                assert alone.ops["GetItem"] == 1, alone.log
                gets += 1
                continue
            assert set(alone.ops) == {"Query"} and 1 <= alone.ops["Query"] <= 2, alone.log  # a prefix or two
            own.append(alone.ops["Query"])
    assert sum(own) == 11  # L#, V#, RDM#, TXN#, CASE#, H#APPT#, the events index, the supports, the Plus orders,
    # the surveys, the staff audit trail about the member (gsi2)
    assert gets == 1  # the segments area's FACTS item
    world.get(f"/v1/agent/members/{cid}", agent)  # warms the cached configuration (the privacy policy's version)
    with DynamoCalls().counting() as calls:
        world.get(f"/v1/agent/members/{cid}", agent)
    assert dict(calls.ops) == {"Query": 1 + sum(own), "GetItem": gets}, calls.log


@pytest.mark.slow
def test_notifications_page_with_a_cursor(world: FollowUpWorld):
    _cid, token = world.member(points_held=3_000)
    reward_id = world.partner_reward(points_cost=100, stock=5)
    for _ in range(3):
        world.open_case(token, reward_id)
    first = world.get("/v1/me/notifications?limit=2", token)
    second = world.get(f"/v1/me/notifications?limit=2&cursor={first['next_cursor']}", token)
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None
    ids = [n["notification_id"] for n in first["items"] + second["items"]]
    assert len(set(ids)) == 3
    status, _body, _ = world.api.call("GET", "/v1/me/notifications?cursor=" + json.dumps("x"), token=token)
    assert status == 400


# --- observability ---------------------------------------------------------------------------------------------------


def _log_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for raw in text.splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


@pytest.mark.slow
def test_the_logs_of_a_transaction_share_its_id_and_the_metrics_count_cases(world: FollowUpWorld, capsys):
    import io

    from chalicelib.core.observability import logger

    _cid, token = world.member(points_held=1_000)
    reward_id = world.partner_reward()
    capsys.readouterr()
    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)  # the handler holds the stdout of import time
    try:
        case_id, accepted = world.open_case(token, reward_id)
        agent = world.agent()
        assert world.act(case_id, "claim", agent)[0] == 200
        assert world.act(case_id, "resolve", agent, {"resolution": "refunded"})[0] == 200
        logger.info("an unrelated line afterwards")
    finally:
        logger.registered_handler.setStream(previous)
    lines = _log_lines(stream.getvalue() + "\n" + capsys.readouterr().out)
    ours = [entry["message"] for entry in lines if entry.get("transaction_id") == accepted["transaction_id"]]
    for message in ("partner fulfilment failed; handed to the retry pipeline", "follow-up case opened",
                    "case claimed", "case resolved"):
        assert message in ours, (message, ours)
    last = next(entry for entry in lines if entry.get("message") == "an unrelated line afterwards")
    assert "transaction_id" not in last and "case_id" not in last
    emitted = {name for entry in lines if "_aws" in entry
               for metric in entry["_aws"]["CloudWatchMetrics"] for name in [m["Name"] for m in metric["Metrics"]]}
    assert {"CasesOpened", "TimeToCaseSeconds", "FollowUpQueueAgeSeconds", "CasesResolved"} <= emitted, emitted


@pytest.mark.slow
def test_opening_a_case_for_a_member_with_points_logs_no_error(world: FollowUpWorld, capsys):
    """The case reads the member's profile and points state, not their buckets: that is no reason to log that the
    points state differs from its buckets (it logged so for every member with points)."""
    import io

    from chalicelib.core.observability import logger

    _cid, token = world.member(points_held=1_000)
    reward_id = world.partner_reward()
    capsys.readouterr()
    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)
    try:
        case_id, _accepted = world.open_case(token, reward_id)
        assert world.act(case_id, "claim", world.agent())[0] == 200
    finally:
        logger.registered_handler.setStream(previous)
    lines = _log_lines(stream.getvalue() + "\n" + capsys.readouterr().out)
    assert "follow-up case opened" in [entry.get("message") for entry in lines]
    assert [entry for entry in lines if entry.get("level") in ("ERROR", "CRITICAL")] == []
