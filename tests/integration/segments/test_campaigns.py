"""Campaigns on DynamoDB Local: a segment's members reached through the SQS fan-out (``app.retry_worker``), the
notifications delivered by the table stream's consumer; the marketing consent gate end to end (withdrawn over the
API: nothing sent), caps across campaigns, the holdout untouched, every member accounted for, the offer granted
once when fan-out messages are delivered twice and when a worker dies mid-page; conversions counted."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.identity.models import PROFILE_SK, CustomerItem
from chalicelib.segments import campaign_pages, campaign_reach, campaigns, queue, rules
from tests.support.clock import at
from tests.support.segments_world import SegmentsWorld

pytestmark = pytest.mark.integration


@pytest.fixture
def world(segments_world: SegmentsWorld) -> SegmentsWorld:
    """The shared set-up (``tests/integration/conftest.py``), by its short name here."""
    return segments_world


@pytest.mark.slow
def test_a_campaign_reaches_consenting_members_once_and_accounts_for_everyone(world: SegmentsWorld):
    yes = [world.member(marketing=True) for _ in range(3)]
    no = [world.member(marketing=False) for _ in range(2)]
    withdrawn = world.member(marketing=True)
    sid = world.segment()
    world.call("PATCH", "/v1/me", {"consents": {"marketing": False}}, token=withdrawn[1])  # after joining
    cp = world.campaign(sid, offer={"kind": "voucher", "benefit_id": "welcome_back", "name": "回归礼券"})
    launched = world.call("POST", f"/v1/admin/campaigns/{cp}/launch", expect=202)
    assert launched["status"] == "running"
    world.pump()
    out = world.call("GET", f"/v1/admin/campaigns/{cp}")
    assert out["status"] == "done"
    assert (out["audience"], out["sent"], out["holdout"], out["offers_granted"]) == (6, 3, 0, 3)
    assert out["suppressed"]["no_consent"] == 3
    assert out["sent"] + sum(out["suppressed"].values()) + out["holdout"] == out["audience"]
    for cid, token in yes:
        notes = world.campaign_notes(cid)
        assert len(notes) == 1 and notes[0].title == "好久不见"
        assert notes[0].deliveries, "the notifications area delivered it"
        assert len(world.vouchers(token)) == 1
    for cid, token in [*no, withdrawn]:
        assert world.campaign_notes(cid) == [] and world.vouchers(token) == []

    again = world.call("POST", f"/v1/admin/campaigns/{cp}/launch", expect=202)  # launching twice sends nothing
    world.pump()
    assert again["sent"] == 3
    assert world.call("GET", f"/v1/admin/campaigns/{cp}")["sent"] == 3
    assert all(len(world.campaign_notes(cid)) == 1 for cid, _ in yes)


@pytest.mark.slow
def test_the_day_cap_holds_across_campaigns(world: SegmentsWorld):
    members = [world.member(marketing=True) for _ in range(2)]
    sid = world.segment()
    first, second = world.campaign(sid), world.campaign(sid)
    for cp in (first, second):
        world.call("POST", f"/v1/admin/campaigns/{cp}/launch", expect=202)
        world.pump()
    assert world.call("GET", f"/v1/admin/campaigns/{first}")["sent"] == 2
    out = world.call("GET", f"/v1/admin/campaigns/{second}")
    assert (out["sent"], out["suppressed"]["capped"], out["audience"]) == (0, 2, 2)
    assert all(len(world.campaign_notes(cid)) == 1 for cid, _ in members)


@pytest.mark.slow  # hundreds of requests: the slowest of the quick loop
def test_the_holdout_receives_nothing_and_conversions_are_counted_for_both_groups(world: SegmentsWorld):
    members = [world.member(marketing=True) for _ in range(40)]
    sid = world.segment()
    cp = world.campaign(sid, holdout=30, offer={"kind": "points", "points": 50})
    held = {cid for cid, _ in members if rules.holdout(cid, cp, 30)}
    assert 0 < len(held) < 40
    world.call("POST", f"/v1/admin/campaigns/{cp}/launch", expect=202)
    world.pump()
    out = world.call("GET", f"/v1/admin/campaigns/{cp}")
    assert (out["holdout"], out["sent"], out["offers_granted"]) == (len(held), 40 - len(held), 40 - len(held))
    for cid, token in members:
        assert len(world.campaign_notes(cid)) == (0 if cid in held else 1)
        assert world.points.balance(token) == 200 + (0 if cid in held else 50)
    treated_buyer = next(cid for cid, _ in members if cid not in held)
    held_buyer = next(iter(held))
    for cid in (treated_buyer, held_buyer, treated_buyer):
        world.points.order(f"CONV-{cid}-{world.points.balance(world.points.token(cid))}", {"customer_id": cid}, 9_900)
    world.pump()
    conv = world.call("GET", f"/v1/admin/campaigns/{cp}")["conversions"]
    assert conv == {"treated": 1, "holdout": 1, "window_days": 14}  # a member converts once


@pytest.mark.slow  # hundreds of requests: the slowest of the quick loop
def test_pages_delivered_twice_and_a_worker_dying_mid_page_reach_each_member_once(world: SegmentsWorld,
                                                                                   monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(campaign_pages, "PAGE", 4)
    members = [world.member(marketing=True) for _ in range(10)]
    sid = world.segment()
    cp = world.campaign(sid, offer={"kind": "voucher", "benefit_id": "welcome_back", "name": "回归礼券"})
    real_reach, calls = campaign_reach.reach, {"n": 0}

    def dying_reach(campaign: Any, customer_id: str) -> str:  # the worker dies after its 6th member
        calls["n"] += 1
        if calls["n"] == 6:
            raise RuntimeError("worker died")
        return real_reach(campaign, customer_id)

    monkeypatch.setattr(campaign_reach, "reach", dying_reach)
    world.call("POST", f"/v1/admin/campaigns/{cp}/launch", expect=202)
    # every page message delivered twice, as SQS may
    first_page = {"kind": "campaign_page", "campaign_id": cp, "segment_id": sid, "page": 0, "cursor": None}
    queue.send([first_page])
    world.pump(rounds=12)
    monkeypatch.setattr(world.retry, "poll_once", world.retry.poll_once)
    for _ in range(10):  # the failed page comes back (the retry pipeline's backoff) until it succeeds
        world.pump()
    out = world.call("GET", f"/v1/admin/campaigns/{cp}")
    assert (out["audience"], out["sent"], out["offers_granted"]) == (10, 10, 10), json.dumps(out)
    assert out["status"] == "done"
    for cid, token in members:
        assert len(world.campaign_notes(cid)) == 1
        assert len(world.vouchers(token)) == 1


@pytest.mark.slow
@pytest.mark.parametrize(("change", "field"), [
    ({"segment_id": "sg_nosuchsegment"}, "segment_ids[0]"),
    ({"holdout_percent": 90}, "holdout_percent"),
    ({"ends_at": "2026-11-01T09:00:00+08:00"}, "ends_at"),
    ({"offer": {"kind": "points"}}, "offer"),
])
def test_a_bad_campaign_is_a_400_in_chinese_and_english_creating_nothing(world: SegmentsWorld, change: dict[str, Any],
                                                                         field: str):
    sid = world.segment()
    body = {"name": "回归礼", "segment_id": sid, "message": {"title": "好久不见", "body": "送您一张回归礼券"},
            "starts_at": "2026-11-23T09:00:00+08:00", "ends_at": "2026-12-07T09:00:00+08:00", **change}
    status, zh, _ = world.api.call("POST", "/v1/admin/campaigns", body, token=world.points.admin)
    status_en, en, _ = world.api.call("POST", "/v1/admin/campaigns", body, token=world.points.admin,
                                      headers={"accept-language": "en"})
    assert status == status_en == 400 and zh["error"]["code"] == en["error"]["code"] == "validation_error"
    assert zh["error"]["message"] != en["error"]["message"]
    assert any(d["field"].startswith(field) for d in en["error"]["details"]), en
    assert not list(campaigns.CampaignItem.scan(campaigns.CampaignItem.sk == "CAMP"))  # nothing created


def _reachable_on_wechat(cid: str) -> None:
    """The member follows the official account (what the OA sign-in records): the ``wechat`` channel reaches them."""
    CustomerItem(pk=f"CUST#{cid}", sk=PROFILE_SK).update(
        actions=[CustomerItem.identities.set([f"wechat_oa#wx_oa_app#oa_{cid}"])])


@pytest.mark.slow
def test_no_grant_and_quiet_hours_are_counted_and_send_nothing(world: SegmentsWorld):
    on_wechat = world.member()
    unreachable = world.member()  # no WeChat identity, and the campaign has neither in_app nor sms
    quiet_too_long = world.member()  # in quiet hours (it is 10:00) until 23:00, after the campaign ends
    quiet_briefly = world.member()  # in quiet hours until 11:00: the message waits for them
    for cid, _ in (on_wechat, quiet_too_long, quiet_briefly):
        _reachable_on_wechat(cid)
    for (_, token), end in ((quiet_too_long, "23:00"), (quiet_briefly, "11:00")):
        world.call("PUT", "/v1/me/notification-settings", {"quiet_hours": {"start": "09:00", "end": end}},
                   token=token)
    sid = world.segment()
    cp = world.campaign(sid, channels=["wechat"], ends_at="2026-11-23T20:00:00+08:00")
    world.call("POST", f"/v1/admin/campaigns/{cp}/launch", expect=202)
    world.pump()
    out = world.call("GET", f"/v1/admin/campaigns/{cp}")
    assert (out["audience"], out["sent"]) == (4, 2)
    assert out["suppressed"] == {"no_consent": 0, "capped": 0, "quiet_hours": 1, "no_grant": 1, "deleted": 0}
    assert [len(world.campaign_notes(cid)) for cid, _ in (on_wechat, unreachable, quiet_too_long, quiet_briefly)] \
        == [1, 0, 0, 1]
    held = world.campaign_notes(quiet_briefly[0])[0]
    pushed = [d["status"] for d in held.deliveries if d["channel"] != "in_app"]
    assert pushed and set(pushed) == {"held"}  # the delivery holds its push until 11:00


@pytest.mark.slow
def test_a_campaign_launched_before_its_start_waits_for_it(world: SegmentsWorld):
    members = [world.member() for _ in range(3)]
    sid = world.segment()
    cp = world.campaign(sid, starts_at="2026-11-23T14:00:00+08:00")  # it is 10:00
    assert world.call("POST", f"/v1/admin/campaigns/{cp}/launch", expect=202)["status"] == "scheduled"
    assert world.call("POST", f"/v1/admin/campaigns/{cp}/launch", expect=202)["status"] == "scheduled"
    world.pump()
    assert campaigns.start_due() == {"started": 0, "ended_unsent": 0}
    world.pump()
    out = world.call("GET", f"/v1/admin/campaigns/{cp}")
    assert (out["status"], out["audience"]) == ("scheduled", 0)
    assert all(world.campaign_notes(cid) == [] for cid, _ in members)

    clock.set_now(at(2026, 11, 23, 14, 0, 30))
    assert campaigns.start_due() == {"started": 1, "ended_unsent": 0}
    assert campaigns.start_due() == {"started": 0, "ended_unsent": 0}  # off the index: started once
    world.pump()
    out = world.call("GET", f"/v1/admin/campaigns/{cp}")
    assert (out["status"], out["audience"], out["sent"]) == ("done", 3, 3)
    assert all(len(world.campaign_notes(cid)) == 1 for cid, _ in members)


@pytest.mark.slow
def test_a_scheduled_campaign_whose_window_passed_ends_unsent(world: SegmentsWorld):
    world.member()
    sid = world.segment()
    cp = world.campaign(sid, starts_at="2026-11-23T14:00:00+08:00", ends_at="2026-11-23T15:00:00+08:00")
    world.call("POST", f"/v1/admin/campaigns/{cp}/launch", expect=202)
    clock.set_now(at(2026, 11, 23, 16, 0))  # the job was not running between its start and its end
    assert campaigns.start_due() == {"started": 0, "ended_unsent": 1}
    world.pump()
    out = world.call("GET", f"/v1/admin/campaigns/{cp}")
    assert (out["status"], out["audience"]) == ("done", 0)
