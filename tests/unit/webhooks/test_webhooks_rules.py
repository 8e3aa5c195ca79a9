"""Webhooks' pure parts: which records make which events (and what never goes in them), the signature, the receiver
URL rule, the backoff."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.core.config import reset_settings
from chalicelib.webhooks import events, signing
from chalicelib.webhooks.producer import body_of
from tools.simulators import webhook_sim

CID = "c_0123456789abcdef0123"
PK = f"CUST#{CID}"
PHONE, NAME, OPENID = "13912345678", "王小明", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


def _img(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        out[k] = {"BOOL": v} if isinstance(v, bool) else {"N": str(v)} if isinstance(v, int) else {"S": v}
    return out


def _keys(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


PROFILE = _img(customer_id=CID, member_no="1234567897", tier_code="base", name=NAME, phone=PHONE, unionid=OPENID,
               created_at="2026-12-06T02:00:00.000+00:00", created_channel="app",
               updated_at="2026-12-06T02:00:00.000+00:00")


def test_an_enrolment_is_told_once_and_sets_the_tier_seen():
    made = events.drafts("INSERT", _keys(PK, "M#PROFILE"), PROFILE, last_tier=None)
    assert [(d.type, d.data["tier"]) for d in made] == [("member.enrolled", "base")]
    again = events.drafts("MODIFY", _keys(PK, "M#PROFILE"), PROFILE, last_tier="base")
    assert again == []
    assert events.shown_tier("INSERT", _keys(PK, "M#PROFILE"), PROFILE) == "base"


def test_a_tier_change_is_told_against_the_last_tier_seen_and_not_before_one_is_known():
    gold = {**PROFILE, **_img(tier_code="gold", updated_at="2026-12-07T02:00:00.000+00:00")}
    made = events.drafts("MODIFY", _keys(PK, "M#PROFILE"), gold, last_tier="base")
    assert [(d.type, d.data) for d in made] == [("tier.changed", {"from": "base", "to": "gold"})]
    assert events.drafts("MODIFY", _keys(PK, "M#PROFILE"), gold, last_tier=None) == []
    # the same record again gives the same event ID (told once)
    assert made[0].event_id == events.drafts("MODIFY", _keys(PK, "M#PROFILE"), gold, last_tier="base")[0].event_id
    absorbed = {**gold, **_img(merged_into="c_ffffffffffffffffffff")}
    assert events.drafts("MODIFY", _keys(PK, "M#PROFILE"), absorbed, last_tier="base") == []


@pytest.mark.parametrize(("name", "pk", "sk", "image", "type_"), [
    ("ledger", PK, "L#2026-12-06T02:00:00.000+00:00#0000000001",
     _img(entry_id="E0000000001", kind="earn", delta=120, balance_after=120, reference="ORD-1"), "points.changed"),
    ("merge", PK, "MERGE#2026-12-06T02:00:00.000+00:00#c_aaaaaaaaaaaaaaaaaaaa", _img(moved="identities"),
     "member.merged"),
    ("redemption", PK, "RDM#r1", _img(redemption_id="r1", reward_id="rw1", quantity=1, points_spent=500,
                                      status="completed", fulfillment="in_house", reward_name=NAME),
     "redemption.changed"),
    ("appointment", PK, "H#APPT#a1", _img(appointment_id="a1", store_id="s1", service_id="v1",
                                          slot_start="2026-12-08T10:00:00+08:00", status="booked", channel="app"),
     "appointment.changed"),
    ("registration", "EV#e1", f"REG#{CID}", _img(registration_id="g1", event_id="e1", customer_id=CID,
                                                   status="registered", title=NAME), "registration.changed"),
    ("plus", PK, "M#PLUS", _img(kind="paid", plan_id="year", expires_at="2027-12-06T00:00:00+08:00"), "plus.changed"),
    ("case", PK, "CASE#t1", _img(case_id="fu.t1", kind="redemption", transaction_id="t1", status="open",
                                 subject=NAME, message=PHONE), "case.opened"),
])
def test_each_source_makes_its_event_with_no_personal_data(name, pk, sk, image, type_):
    image = {**image, **_img(phone=PHONE, name=NAME, openid=OPENID)}
    made = events.drafts("INSERT", _keys(pk, sk), image, last_tier="base", when="2026-12-06T02:00:00.000+00:00")
    assert [d.type for d in made] == [type_] and made[0].customer_id == CID
    body = body_of(made[0], 3, "1234567897")
    assert PHONE not in body and NAME not in body and OPENID not in body
    assert json.loads(body)["sequence"] == 3 and json.loads(body)["id"].startswith("evt_")


def test_a_change_is_told_per_status_and_a_resolution_once():
    keys = _keys(PK, "RDM#r1")
    pending = events.drafts("INSERT", keys, _img(status="pending_fulfillment"), last_tier=None)
    done = events.drafts("MODIFY", keys, _img(status="completed"), last_tier=None)
    touched = events.drafts("MODIFY", keys, _img(status="completed", updated_at="later"), last_tier=None)
    assert pending[0].event_id != done[0].event_id == touched[0].event_id
    case = _keys(PK, "CASE#t1")
    assert events.drafts("MODIFY", case, _img(status="claimed"), last_tier=None) == []
    resolved = events.drafts("MODIFY", case, _img(status="resolved", resolution="refunded"), last_tier=None)
    assert [(d.type, d.data["resolution"]) for d in resolved] == [("case.resolved", "refunded")]
    assert events.drafts("REMOVE", keys, {}, last_tier=None) == []
    assert events.drafts("INSERT", _keys("C2B#x", "L#ALL"), _img(status="x"), last_tier=None) == []


def test_the_signature_verifies_with_either_secret_and_not_with_another_or_an_old_stamp():
    body = b'{"id":"evt_1"}'
    now = int(time.time())
    value = signing.header(["whsec_new", "whsec_old"], now, body)
    assert value.startswith(f"t={now},v1=") and value.count("v1=") == 2
    for secret in ("whsec_new", "whsec_old"):
        assert signing.verify(secret, value, body) and webhook_sim.verify(secret, value, body)
    assert not signing.verify("whsec_other", value, body) and not webhook_sim.verify("whsec_other", value, body)
    assert not signing.verify("whsec_new", value, body + b" ")
    stale = signing.header(["whsec_new"], now - 3600, body)
    assert not signing.verify("whsec_new", stale, body) and not webhook_sim.verify("whsec_new", stale, body)


@pytest.mark.parametrize(("stage", "allow", "url", "ok"), [
    ("local", "", "http://127.0.0.1:8104/hooks/crm", True),
    ("local", "", "http://crm.example.com/hooks", False),
    ("prod", "", "http://localhost:8104/hooks/crm", False),
    ("dev", "true", "http://localhost:8104/hooks/crm", True),
    ("prod", "", "https://crm.example.com/hooks", True),
    ("prod", "", "ftp://crm.example.com/hooks", False),
])
def test_receiver_urls_are_https_but_on_a_stage_that_allows_local_http(monkeypatch, stage, allow, url, ok):
    from chalicelib.webhooks.http.admin_schemas import WebhookIn

    monkeypatch.setenv("STAGE", stage)
    monkeypatch.setenv("WEBHOOK_ALLOW_HTTP_LOCALHOST", allow)
    reset_settings()
    try:
        if ok:
            assert WebhookIn.model_validate({"url": url, "events": ["points.changed"]}).url == url
        else:
            with pytest.raises(ValidationError):
                WebhookIn.model_validate({"url": url, "events": ["points.changed"]})
    finally:
        reset_settings()


@pytest.mark.slow
def test_the_backoff_doubles_to_its_cap(monkeypatch):
    from chalicelib.webhooks.delivery import backoff_seconds

    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.delenv("WEBHOOK_BACKOFF_BASE_SECONDS", raising=False)
    monkeypatch.delenv("WEBHOOK_BACKOFF_MAX_SECONDS", raising=False)
    reset_settings()
    try:
        assert [backoff_seconds(n, jitter=False) for n in range(1, 10)] == [10, 20, 40, 80, 160, 320, 640, 900, 900]
    finally:
        reset_settings()
