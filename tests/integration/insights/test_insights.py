"""Programme health and the points liability on DynamoDB Local: a scripted month of activity (earns, spends, expiries,
refunds, adjustments, check-ins, vouchers, Plus starts, renewals, trial conversions, lapses and a refund) counted from
real stream records (``tools.lambda_emulation.stream_poller`` feeding ``app.notification_dispatcher``), the month closed
by a pass fanned out through SQS (``app.retry_worker``), and both compared with a brute-force recomputation from the
table."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.calendar import SHANGHAI
from chalicelib.core.config import settings
from chalicelib.core.retry import fanout
from chalicelib.insights import counting, nightly, store
from chalicelib.membership import plans
from tests.support.aws import reset_app_caches
from tests.support.clock import at
from tests.support.contract import assert_envelope
from tests.support.membership_world import MembershipWorld
from tests.support.owned.surveys import issue_survey
from tests.support.points_world import DynamoCalls, PointsWorld
from tests.support.sign_in import staff_login
from tests.support.tables import dynamodb_client
from tools.lambda_emulation import stream_poller
from tools.lambda_emulation.sqs_poller import QueuePoller
from tools.simulators import wechatpay_sim
from tools.stack.run_job import scheduled_event

pytestmark = pytest.mark.integration

MONTH = "2027-01"
FIGURES = ("outstanding_points", "issued", "redeemed", "expired", "reversed", "breakage_rate",
           "expected_redemption_rate", "point_value_fen", "deferred_revenue_fen", "expiring_by_month", "reconciled")


def _streams(endpoint: str) -> Any:
    import boto3

    return boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name="ap-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


class World:
    def __init__(self, api: Any, sqs: Any, queues: Any, sim: Any) -> None:
        import app as application

        self.app = application
        self.m = MembershipWorld.make(api)
        self.m.sim = sim
        self.api = api
        self.poller = self.new_poller()
        self.retry = QueuePoller(sqs, queues["RetryQueue"].url, application.retry_worker,
                                 function_name="member-portal-local-retry_worker", wait_seconds=0)

    def at(self, *when: int) -> None:
        """Move the clock; the staff sign in again (their tokens of the last moment have expired)."""
        clock.set_now(at(*when))
        for role in ("agent", "admin"):
            setattr(self.m, role, staff_login(self.api, f"pts-{role}", f"pts-{role}-pass")["access_token"])

    def token(self, customer_id: str) -> str:
        return self.m.session(customer_id)

    def new_poller(self) -> Any:
        endpoint = settings().dynamodb_endpoint
        assert endpoint
        poller = stream_poller.for_app(dynamodb_client(endpoint), _streams(endpoint), self.app.app,
                                       settings().table_name)[0]
        poller.retry_pause = 0
        return poller

    def pump(self, rounds: int = 8) -> None:
        for _ in range(rounds):
            busy = 0
            while self.poller.poll_once():
                busy += 1
            while self.retry.poll_once():
                busy += 1
            if not busy:
                return

    def admin(self, method: str, path: str, body: Any = None, expect: int = 200, token: str | None = None,
              english: bool = True) -> Any:
        status, out, headers = self.api.call(method, path, body, token=token or self.m.admin,
                                             headers={"accept-language": "en"} if english else {})
        assert status == expect, out
        return out, headers

    def scan(self) -> list[dict[str, Any]]:
        client, items, kwargs = store.client(), [], {"TableName": store.table()}
        while True:
            page = client.scan(**kwargs)
            items += [store.plain(i) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.fixture(scope="module")
def paysim() -> Iterator[Any]:
    server, _thread = wechatpay_sim.start(port=0)
    yield server
    server.stop()


@pytest.fixture
def world(api: Any, sqs_queues: Any, sqs_client: Any, paysim: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name, value in paysim.app_env("http://127.0.0.1:9/unused").items():
        monkeypatch.setenv(name, value)
    reset_app_caches()
    clock.set_now(at(2025, 12, 5, 10, 0))
    plans.reset_cache()
    yield World(api, sqs_client, sqs_queues, paysim)
    clock.set_now(None)
    reset_app_caches()


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _expected_close(items: list[dict[str, Any]], month: str, value: float, rate: float) -> dict[str, Any]:
    """The close recomputed from every ledger entry and bucket of the table, written out here on its own."""
    first = datetime(int(month[:4]), int(month[5:]), 1, tzinfo=SHANGHAI)
    end = datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=SHANGHAI)
    entries = [i for i in items if str(i["pk"]).startswith("CUST#") and str(i["sk"]).startswith("L#")]
    buckets = [i for i in items if str(i["pk"]).startswith("CUST#") and str(i["sk"]).startswith("M#BUCKET#")]
    before = [e for e in entries if _instant(e["created_at"]) < end]
    within = [e for e in before if _instant(e["created_at"]) >= first]
    issued = sum(e["delta"] for e in within if e["delta"] > 0 and e["kind"] not in ("merge_in", "merge_out"))
    redeemed = -sum(e["delta"] for e in within if e["kind"] == "redemption")
    expired = -sum(e["delta"] for e in within if e["kind"] == "expiry")
    reversed_ = -sum(e["delta"] for e in within if e["delta"] < 0
                     and e["kind"] not in ("redemption", "expiry", "merge_in", "merge_out"))
    outstanding = sum(e["delta"] for e in before)
    all_expired = -sum(e["delta"] for e in before if e["kind"] == "expiry")
    all_redeemed = -sum(e["delta"] for e in before if e["kind"] == "redemption")
    ledger_sum, buckets_sum = sum(e["delta"] for e in entries), sum(b["points"] for b in buckets)
    months, current = [], first
    for _ in range(12):
        current = datetime(current.year + current.month // 12, current.month % 12 + 1, 1)
        months.append(current.strftime("%Y-%m"))
    return {
        "outstanding_points": outstanding, "issued": issued, "redeemed": redeemed, "expired": expired,
        "reversed": reversed_,
        "breakage_rate": round(all_expired / (all_expired + all_redeemed), 4) if all_expired + all_redeemed else None,
        "expected_redemption_rate": rate, "point_value_fen": value,
        "deferred_revenue_fen": int(outstanding * value * rate + 0.5),
        "expiring_by_month": [{"month": m, "points": sum(b["points"] for b in buckets if b["expires_on"][:7] == m)}
                              for m in months],
        "reconciled": {"ledger_sum": ledger_sum, "buckets_sum": buckets_sum, "difference": ledger_sum - buckets_sum},
    }


def _pay(w: World, customer_id: str) -> None:
    status, body, _ = w.m.notify(w.m.order(w.token(customer_id), "plus_month")["order_id"])
    assert status == 204, body


def _script_a_month(w: World) -> dict[str, str]:
    """December 2025 to January 2027: every kind of activity the close and the health rates count."""
    m = w.m
    people = {name: m.member()[0] for name in ("a", "b", "c", "d", "p1", "p2", "t1", "t2", "r", "idle")}
    PointsWorld.order(m, "O-A0", {"customer_id": people["a"]}, 30_000)  # 300, expire 2026-12-31
    PointsWorld.order(m, "O-B0", {"customer_id": people["b"]}, 10_000)  # 100, expire 2026-12-31
    w.at(2026, 6, 1, 10, 0)
    PointsWorld.order(m, "O-C0", {"customer_id": people["c"]}, 40_000)  # 400, expire 2027-12-31
    w.at(2026, 12, 20, 10, 0)
    for who in ("p1", "p2"):
        _pay(w, people[who])  # expire 2027-01-20
    reward = w.admin("POST", "/v1/admin/rewards", {"name": "咖啡券", "points_cost": 150, "stock": 10,
                                                   "fulfillment": "in_house"}, expect=201)[0]["reward_id"]
    benefit = w.admin("POST", "/v1/admin/benefits", {"name": "包邮券", "tiers": ["base"],
                                                     "quota": {"per_period": 5, "period": "month"},
                                                     "voucher_valid_days": 30}, expect=201)[0]["benefit_id"]
    w.pump()

    w.at(2027, 1, 1, 0, 10)
    w.app.expire_points_job(scheduled_event("expire-points"), None)  # a's 300 and b's 100 expire
    w.at(2027, 1, 3, 11, 0)
    PointsWorld.order(m, "O-B1", {"customer_id": people["b"]}, 50_000)
    PointsWorld.order(m, "O-D1", {"customer_id": people["d"]}, 20_000)
    m.refund("O-D1", 10_000)  # 100 reversed
    status, out, _ = m.api.call("POST", "/v1/redemptions", {"reward_id": reward, "quantity": 1},
                                token=w.token(people["c"]), headers={"idempotency-key": uuid.uuid4().hex})
    assert status == 201, out
    w.admin("POST", "/v1/admin/points/adjustments", {"customer_id": people["c"], "delta": -50, "reason": "冲正"},
            expect=201)
    w.admin("POST", "/v1/admin/points/adjustments", {"customer_id": people["d"], "delta": 30, "reason": "补偿"},
            expect=201)
    w.at(2027, 1, 5, 9, 0)
    for who in ("b", "d"):
        status, out, _ = m.api.call("POST", "/v1/me/check-ins", token=w.token(people[who]))
        assert status == 201, out
    for who in ("t1", "t2"):
        status, out, _ = m.api.call("POST", "/v1/membership/trial", token=w.token(people[who]))
        assert status == 201, out  # expire 2027-01-12
    vouchers = []
    for who in ("b", "c"):
        status, out, _ = m.api.call("POST", f"/v1/benefits/{benefit}/claims", token=w.token(people[who]),
                                    headers={"idempotency-key": uuid.uuid4().hex})
        assert status == 201, out
        vouchers.append((who, out["voucher_id"]))
    who, vid = vouchers[0]
    status, out, _ = m.api.call("POST", f"/v1/me/vouchers/{vid}/use", {"order_no": "SO-9"}, token=w.token(people[who]),
                                headers={"idempotency-key": uuid.uuid4().hex})
    assert status == 200, out
    w.at(2027, 1, 8, 12, 0)
    _pay(w, people["t1"])  # the trial converts
    w.at(2027, 1, 10, 12, 0)
    _pay(w, people["p1"])  # p1 renews; p2 will lapse on the 20th
    w.at(2027, 1, 12, 12, 0)
    _pay(w, people["r"])
    w.at(2027, 1, 13, 12, 0)
    status, out, _ = m.api.call("POST", f"/v1/agent/members/{people['r']}/membership/refund", {"reason": "误购"},
                                token=m.agent)
    assert status == 200, out
    w.pump()
    w.at(2027, 1, 13, 1, 0)
    nightly.run("2027-01-12")  # t2's trial lapsed (t1's converted: no longer filed under the 12th)
    w.at(2027, 1, 21, 1, 0)
    nightly.run("2027-01-20")  # p2 lapsed
    w.pump()
    w.at(2027, 2, 1, 1, 0)
    w.app.insights_nightly(scheduled_event("insights-nightly"), None)  # the 31st: the month's members base
    w.pump()
    return people


@pytest.mark.slow  # hundreds of requests: the slowest of the quick loop
def test_a_scripted_month_closes_to_the_ledger_and_buckets_twice_and_health_counts_it(world: World):
    people = _script_a_month(world)
    world.admin("PUT", "/v1/admin/points/accounting", {"point_value_fen": 0.5, "expected_redemption_rate": 0.8})

    world.at(2027, 2, 1, 9, 0)
    first, _ = world.admin("POST", "/v1/admin/closes", {"month": MONTH}, expect=202)
    assert first["status"] == "running" and first["point_value_fen"] == 0.5
    world.admin("PUT", "/v1/admin/points/accounting", {"point_value_fen": 2, "expected_redemption_rate": 1})
    # one part's message delivered a second time, as SQS may: its partial sums are written again, not added
    fanout.send([{"kind": "insights_pass", "pk": store.close_pk(MONTH), "finish": "chalicelib.insights.closes:finish",
                  "window": ["2027-01-01T00:00:00+08:00", "2027-02-01T00:00:00+08:00"], "part": 3, "total": 8,
                  "start_key": None}])
    world.pump()
    close, _ = world.admin("GET", f"/v1/admin/closes/{MONTH}")
    assert close["status"] == "done"
    expected = _expected_close(world.scan(), MONTH, 0.5, 0.8)  # the settings of when it was asked for
    assert {k: close[k] for k in FIGURES} == expected
    # the script's own numbers: a month that moved every figure, and books that agree
    assert (close["issued"], close["redeemed"], close["expired"], close["reversed"]) == (
        500 + 200 + 30 + 2 * 5, 150, 300 + 100, 100 + 50)  # two check-ins of 5
    assert close["reconciled"]["difference"] == 0 and close["outstanding_points"] == 400 + 400 + 740 - 150 - 400 - 150
    assert close["deferred_revenue_fen"] == round(close["outstanding_points"] * 0.5 * 0.8)

    again, _ = world.admin("POST", "/v1/admin/closes", {"month": MONTH}, expect=200)  # once per month
    assert again == close
    # a re-run over the same data gives identical numbers
    store.client().delete_item(TableName=store.table(),
                               Key={"pk": {"S": store.close_pk(MONTH)}, "sk": {"S": "CLOSE"}})
    world.admin("PUT", "/v1/admin/points/accounting", {"point_value_fen": 0.5, "expected_redemption_rate": 0.8})
    world.admin("POST", "/v1/admin/closes", {"month": MONTH}, expect=202)
    world.pump()
    rerun, _ = world.admin("GET", f"/v1/admin/closes/{MONTH}")
    assert {k: rerun[k] for k in FIGURES} == {k: close[k] for k in FIGURES}

    # the day counters reconcile with the ledger (the nightly pass recorded no difference)
    for day in ("2027-01-12", "2027-01-20", "2027-01-31"):
        result = nightly.result(day)
        assert result is not None and result["differences"] == {}, result
    jan3 = nightly.day_counters("2027-01-03")
    assert (jan3["pts_issued"], jan3["pts_redeemed"], jan3["pts_reversed"]) == (500 + 200 + 30, 150, 150)

    health, _ = world.admin("GET", f"/v1/admin/health?from=2026-12&to={MONTH}")
    dec, jan = health["months"]
    assert health["from"] == "2026-12" and dec["month"] == "2026-12" and jan["month"] == MONTH
    items = world.scan()
    profiles = [i for i in items if i["sk"] == "M#PROFILE" and not i.get("merged_into")]
    first_jan, feb = at(2027, 1, 1), at(2027, 2, 1)

    def in_jan(text: str) -> bool:
        return first_jan <= datetime.fromisoformat(text) < feb

    active_kinds = {"purchase", "check_in", "event", "survey", "claim", "redemption", "campaign"}
    active = {str(i["pk"]) for i in items if str(i["sk"]).startswith("L#") and i["kind"] in active_kinds
              and in_jan(i["created_at"])}
    active |= {str(i["pk"]) for i in items if str(i["sk"]).startswith("RDM#") and in_jan(i["created_at"])}
    checkins = {str(i["pk"]) for i in items if str(i["sk"]).startswith("L#") and i["kind"] == "check_in"
                and in_jan(i["created_at"])}
    entries = [i for i in items if str(i["sk"]).startswith("L#") and in_jan(i["created_at"])]
    issued = sum(e["delta"] for e in entries if e["delta"] > 0)
    redeemed = -sum(e["delta"] for e in entries if e["kind"] == "redemption")
    vouchers = [i for i in items if str(i["sk"]).startswith("V#")]
    paid = sorted((o["paid_at"], o["customer_id"]) for o in items
                  if str(o["sk"]).startswith("H#PLUSORDER#") and o.get("paid_at"))
    renewed = sum(1 for n, (p_at, cid) in enumerate(paid) if in_jan(p_at) and any(c == cid for _, c in paid[:n]))
    assert jan["members"] == len(profiles) == 10
    assert (jan["active_members"], jan["active_member_rate"]) == (len(active), round(len(active) / 10, 4))
    assert (jan["checkin_members"], jan["checkin_rate"]) == (len(checkins), round(len(checkins) / 10, 4))
    assert (jan["points_issued"], jan["points_redeemed"]) == (issued, redeemed)
    assert jan["redemption_rate"] == round(redeemed / issued, 4)
    used = sum(1 for v in vouchers if v["status"] == "used")
    assert jan["benefit_usage_rate"] == [{"tier": "base", "claimed": len(vouchers), "used": used,
                                          "rate": round(used / len(vouchers), 4)}]
    assert (jan["plus_renewed"], jan["plus_lapsed"], jan["plus_renewal_rate"]) == (renewed, 1, 0.5)
    assert (jan["plus_started"], jan["plus_refunded"]) == (2, 1)  # t1 (converted) and r
    assert (jan["plus_trials"], jan["plus_trial_converted"], jan["plus_trial_lapsed"],
            jan["plus_trial_conversion_rate"]) == (2, 1, 1, 0.5)
    assert (dec["plus_started"], dec["members"], dec["active_members"]) == (2, 0, 0)  # no nightly run in December
    assert jan["redemptions"] == 1 and people

    # a redelivered stream (every record again, from the start) changes no counter
    before = world.admin("GET", f"/v1/admin/health?from=2026-12&to={MONTH}")[0]
    world.poller = world.new_poller()
    world.pump()
    assert world.admin("GET", f"/v1/admin/health?from=2026-12&to={MONTH}")[0] == before

    # at most two DynamoDB calls a request
    with DynamoCalls().counting() as calls:
        world.admin("GET", f"/v1/admin/health?from=2026-02&to={MONTH}")
    assert calls.total <= 2 and "Scan" not in calls.ops, calls.ops

    # CSV: UTF-8 with a BOM, a header naming each column in Chinese and English, the same numbers
    status, text, headers = world.api.call("GET", f"/v1/admin/closes/{MONTH}.csv",
                                           token=world.m.admin)
    assert status == 200 and headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == f'attachment; filename="points-close-{MONTH}.csv"'
    assert text.startswith("\ufeff")
    rows = dict(tuple(r) for r in csv.reader(io.StringIO(text[1:])))
    assert rows["未兑换积分 outstanding_points"] == str(close["outstanding_points"])
    assert rows["递延收益（分） deferred_revenue_fen"] == str(close["deferred_revenue_fen"])
    status, text, headers = world.api.call("GET", f"/v1/admin/health.csv?from=2026-12&to={MONTH}",
                                           token=world.m.admin)
    assert status == 200 and text.startswith("\ufeff月份 month,")
    table = list(csv.DictReader(io.StringIO(text[1:])))
    assert [r["月份 month"] for r in table] == ["2026-12", MONTH]
    assert table[1]["活跃率 active_member_rate"] == str(jan["active_member_rate"])


@pytest.mark.slow
def test_operators_only_and_bad_input_is_refused_in_both_languages(world: World):
    world.at(2027, 2, 1, 9, 0)
    _cid, member_token = world.m.member()
    for token in (world.m.agent, member_token):
        for method, path, body in (("POST", "/v1/admin/closes", {"month": MONTH}),
                                   ("GET", f"/v1/admin/closes/{MONTH}", None),
                                   ("GET", f"/v1/admin/closes?from=2026-01&to={MONTH}", None),
                                   ("GET", "/v1/admin/health?from=2027-01&to=2027-01", None),
                                   ("GET", "/v1/admin/health.csv?from=2027-01&to=2027-01", None),
                                   ("GET", "/v1/admin/points/accounting", None),
                                   ("PUT", "/v1/admin/points/accounting",
                                    {"point_value_fen": 1, "expected_redemption_rate": 1})):
            status, out, headers = world.api.call(method, path, body, token=token)
            assert_envelope(status, out, headers, "forbidden")
    bad = (("POST", "/v1/admin/closes", {"month": "2027-13"}, "validation_error"),
           ("POST", "/v1/admin/closes", {"month": "2027-02"}, "close_month_not_over"),
           ("GET", "/v1/admin/closes/2027-1", None, "validation_error"),
           ("GET", "/v1/admin/closes/2026-10", None, "close_not_found"),
           ("GET", "/v1/admin/closes/2027-1.csv", None, "validation_error"),
           ("GET", "/v1/admin/closes?from=2027-02&to=2027-01", None, "validation_error"),
           ("GET", "/v1/admin/closes?from=2021-12&to=2027-01", None, "closes_range_too_large"),
           ("GET", "/v1/admin/closes?from=2027-1&to=2027-01", None, "validation_error"),
           ("GET", "/v1/admin/closes?to=2027-01", None, "validation_error"),
           ("GET", "/v1/admin/health?from=2027-02&to=2027-01", None, "validation_error"),
           ("GET", "/v1/admin/health?from=2026-01&to=2027-01", None, "health_range_too_large"),
           ("GET", "/v1/admin/health.csv?from=2027-01", None, "validation_error"),
           ("PUT", "/v1/admin/points/accounting", {"point_value_fen": 1, "expected_redemption_rate": 1.5},
            "validation_error"),
           ("PUT", "/v1/admin/points/accounting", {"point_value_fen": "1", "expected_redemption_rate": 1},
            "validation_error"))
    for method, path, body, code in bad:
        for english in (False, True):
            status, out, headers = world.api.call(method, path, body, token=world.m.admin,
                                                  headers={"accept-language": "en"} if english else {})
            assert_envelope(status, out, headers, code, english=english)
    got, _ = world.admin("GET", "/v1/admin/points/accounting")
    assert (got["point_value_fen"], got["expected_redemption_rate"]) == (1.0, 1.0)  # nothing changed
    world.admin("GET", f"/v1/admin/closes/{MONTH}", expect=404)  # no close was started


def _answer(w: World, customer_id: str, kind: str, score: int) -> str:
    """A service survey issued to the member now (as its completed service would) and answered at once."""
    survey_id = issue_survey(customer_id, kind, {"event": "ev_insights"} if kind == "event" else None)
    status, out, _ = w.api.call("POST", f"/v1/me/surveys/{survey_id}/answers", {"score": score},
                                token=w.token(customer_id), headers={"idempotency-key": uuid.uuid4().hex})
    assert status == 201, out
    return survey_id


def _brute_surveys(items: list[dict[str, Any]], month: str) -> dict[str, dict[str, Any]]:
    """CSAT and NPS of a Shanghai month counted here from the answered surveys themselves."""
    answered = [i for i in items if str(i["sk"]).startswith("H#SURVEY#") and i["status"] == "answered"
                and datetime.fromisoformat(i["answered_at"]).astimezone(SHANGHAI).strftime("%Y-%m") == month]
    csat = [int(i["score"]) for i in answered if i["scale"] == "csat"]
    nps = [int(i["score"]) for i in answered if i["scale"] == "nps"]
    satisfied = sum(1 for s in csat if s >= 4)
    promoters, detractors = sum(1 for s in nps if s >= 9), sum(1 for s in nps if s <= 6)
    return {"csat": {"answers": len(csat), "satisfied": satisfied,
                     "rate": round(satisfied / len(csat), 4) if csat else None},
            "nps": {"answers": len(nps), "promoters": promoters, "detractors": detractors,
                    "score": round(100 * (promoters - detractors) / len(nps), 2) if nps else None}}


@pytest.mark.slow
def test_csat_and_nps_in_health_equal_a_brute_force_count_over_the_survey_answers(world: World):
    people = [world.m.member()[0] for _ in range(6)]
    world.at(2026, 12, 31, 23, 30)  # Shanghai: December's last half hour
    _answer(world, people[0], "appointment", 1)
    _answer(world, people[1], "event", 10)
    world.at(2027, 1, 1, 0, 30)  # and January's first
    for who, kind, score in ((0, "appointment", 5), (1, "appointment", 4), (2, "appointment", 3),
                             (3, "case", 2), (2, "event", 9), (3, "event", 10), (4, "event", 6), (5, "event", 8),
                             (5, "event", 0)):
        _answer(world, people[who], kind, score)
    issue_survey(people[4], "appointment")  # issued, never answered: counts nothing
    world.pump()

    health, _ = world.admin("GET", f"/v1/admin/health?from=2026-11&to={MONTH}")
    nov, dec, jan = health["months"]
    items = world.scan()
    for month in (nov, dec, jan):
        assert {k: month[k] for k in ("csat", "nps")} == _brute_surveys(items, month["month"]), month["month"]
    # the script's own numbers, and a month without answers
    assert jan["csat"] == {"answers": 4, "satisfied": 2, "rate": 0.5}
    assert jan["nps"] == {"answers": 5, "promoters": 2, "detractors": 2, "score": 0.0}
    assert (dec["csat"]["answers"], dec["csat"]["rate"], dec["nps"]["score"]) == (1, 0.0, 100.0)
    assert nov["csat"] == {"answers": 0, "satisfied": 0, "rate": None} and nov["nps"]["score"] is None

    # a redelivered stream counts no answer twice, and the read is still at most two calls
    world.poller = world.new_poller()
    world.pump()
    with DynamoCalls().counting() as calls:
        again, _ = world.admin("GET", f"/v1/admin/health?from=2026-11&to={MONTH}")
    assert again == health
    assert calls.total <= 2 and set(calls.ops) == {"BatchGetItem"}, calls.ops

    # a survey withdrawn after its answer (its service voided) leaves the figures; one never counted takes nothing
    [first] = [i for i in items if str(i["sk"]).startswith("H#SURVEY#") and i.get("score") == 5]
    record = {"eventName": "MODIFY", "dynamodb": {"Keys": {"pk": store.raw(first["pk"]), "sk": store.raw(first["sk"])},
                                                   "NewImage": {k: store.raw(v) for k, v in
                                                                {**first, "status": "withdrawn"}.items()}}}
    counting.handle_raw(record)
    counting.handle_raw(record)  # delivered twice
    never = dict(record, dynamodb={**record["dynamodb"], "NewImage": {
        **record["dynamodb"]["NewImage"], "survey_id": store.raw("svy_never_counted")}})
    counting.handle_raw(never)
    after = world.admin("GET", f"/v1/admin/health?from={MONTH}&to={MONTH}")[0]["months"][0]
    assert after["csat"] == {"answers": 3, "satisfied": 1, "rate": 0.3333}

    # the CSV carries them, Chinese and English headers
    status, text, _ = world.api.call("GET", f"/v1/admin/health.csv?from=2026-11&to={MONTH}", token=world.m.admin)
    assert status == 200
    table = list(csv.DictReader(io.StringIO(text[1:])))
    assert [r["净推荐值 NPS nps_score"] for r in table] == ["", "100.0", "0.0"]
    assert [r["满意率 CSAT csat_rate"] for r in table] == ["", "0.0", "0.3333"]


@pytest.mark.slow
def test_the_closes_list_answers_the_months_closed_in_one_call(world: World):
    world.at(2027, 2, 1, 9, 0)
    assert world.admin("GET", f"/v1/admin/closes?from=2026-06&to={MONTH}")[0] == {
        "from": "2026-06", "to": MONTH, "items": []}
    world.admin("POST", "/v1/admin/closes", {"month": "2026-12"}, expect=202)
    world.pump()
    world.admin("POST", "/v1/admin/closes", {"month": "2026-09"}, expect=202)  # not pumped: still running
    with DynamoCalls().counting() as calls:
        listed, _ = world.admin("GET", f"/v1/admin/closes?from=2026-06&to={MONTH}")
    assert calls.total <= 2 and set(calls.ops) == {"BatchGetItem"}, calls.ops
    done, _ = world.admin("GET", "/v1/admin/closes/2026-12")
    running, _ = world.admin("GET", "/v1/admin/closes/2026-09")
    assert done["status"] == "done" and running["status"] == "running"
    fields = ("month", "status", "outstanding_points", "deferred_revenue_fen", "expired", "completed_at")
    assert listed == {"from": "2026-06", "to": MONTH, "items": [
        {**{k: running.get(k) for k in fields}, "outstanding_points": None, "deferred_revenue_fen": None,
         "expired": None}, {k: done[k] for k in fields}]}
    assert world.admin("GET", "/v1/admin/closes?from=2026-10&to=2026-11")[0]["items"] == []  # never closed
    assert [c["month"] for c in world.admin("GET", "/v1/admin/closes?from=2022-02&to=2027-01")[0]["items"]] == [
        "2026-09", "2026-12"]  # 60 months
