"""Consent receipts: every consent change is a receipt; the published policy; accepting a new version."""

from __future__ import annotations

import pytest

from tests.support.points_world import PointsWorld

pytestmark = pytest.mark.integration


@pytest.fixture
def world(api):
    return PointsWorld.make(api)


def call(world, method, path, body=None, token=None, channel="miniprogram", lang=None):
    headers = {"authorization": f"Bearer {token}", "x-channel": channel} if token else {}
    if lang:
        headers["accept-language"] = lang
    return world.api.call(method, path, body, headers=headers)


def publish(world, version):
    status, body, _ = call(world, "PUT", "/v1/admin/privacy/policy",
                           {"version": version, "url": f"https://m.example.com/privacy/{version}"}, world.admin)
    assert status == 200, body
    return body


@pytest.mark.slow
def test_a_consent_given_is_a_receipt_and_the_profile_follows(world):
    _, token = world.member()
    version = call(world, "GET", "/v1/privacy/policy")[1]["version"]
    status, receipt, _ = call(world, "POST", "/v1/me/consents",
                              {"purpose": "marketing", "granted": True, "policy_version": version}, token)
    assert status == 201, receipt
    assert (receipt["purpose"], receipt["granted"], receipt["policy_version"], receipt["channel"]) == (
        "marketing", True, version, "miniprogram")
    assert call(world, "GET", "/v1/me", token=token)[1]["consents"]["marketing"] is True
    call(world, "POST", "/v1/me/consents", {"purpose": "partner_sharing", "granted": True, "policy_version": version},
         token)
    call(world, "POST", "/v1/me/consents", {"purpose": "marketing", "granted": False, "policy_version": version},
         token)
    status, out, _ = call(world, "GET", "/v1/me/consents", token=token)
    assert status == 200, out
    assert out["current"] == {"marketing": False, "profiling": False, "partner_sharing": True}
    assert [(r["purpose"], r["granted"]) for r in out["items"]] == [
        ("marketing", False), ("partner_sharing", True), ("marketing", True)]


@pytest.mark.slow
def test_patching_consents_writes_receipts_in_the_same_change(world):
    _, token = world.member()
    status, body, _ = call(world, "PATCH", "/v1/me", {"consents": {"profiling": True}, "birthday": "1990-05-01"},
                           token, channel="app")
    assert status == 200, body
    assert body["birthday"] == "1990-05-01" and body["consents"]["profiling"] is True
    items = call(world, "GET", "/v1/me/consents", token=token)[1]["items"]
    assert [(r["purpose"], r["granted"], r["channel"]) for r in items] == [("profiling", True, "app")]
    # a refused change writes no receipt
    status, _, _ = call(world, "PATCH", "/v1/me", {"consents": {"profiling": False}, "birthday": "1991-01-01"}, token)
    assert status in (403, 409)
    assert len(call(world, "GET", "/v1/me/consents", token=token)[1]["items"]) == 1
    # withdrawing through the receipts route erases the extended profile, as PATCH does
    version = call(world, "GET", "/v1/privacy/policy")[1]["version"]
    call(world, "POST", "/v1/me/consents", {"purpose": "profiling", "granted": False, "policy_version": version}, token)
    me = call(world, "GET", "/v1/me", token=token)[1]
    assert (me["birthday"], me["consents"]["profiling"]) == (None, False)


@pytest.mark.slow
def test_a_new_policy_needs_accepting_and_an_old_version_is_refused(world):
    _, token = world.member()
    first = call(world, "GET", "/v1/privacy/policy")[1]["version"]
    call(world, "POST", "/v1/me/consents", {"purpose": "privacy_policy", "granted": True, "policy_version": first},
         token)
    assert call(world, "GET", "/v1/me", token=token)[1]["privacy_policy"] == {
        "version": first, "accepted_version": first, "needs_acceptance": False}
    published = publish(world, "2027-01")
    assert call(world, "GET", "/v1/privacy/policy")[1] == published
    assert call(world, "GET", "/v1/me", token=token)[1]["privacy_policy"]["needs_acceptance"] is True
    status, body, _ = call(world, "POST", "/v1/me/consents",
                           {"purpose": "marketing", "granted": True, "policy_version": first}, token, lang="en")
    assert (status, body["error"]["code"]) == (409, "policy_version_outdated")
    assert body["error"]["message"].startswith("The privacy policy")
    status, _, _ = call(world, "POST", "/v1/me/consents",
                        {"purpose": "privacy_policy", "granted": True, "policy_version": "2027-01"}, token)
    assert status == 201
    state = call(world, "GET", "/v1/me/consents", token=token)[1]["policy"]
    assert state == {"version": "2027-01", "accepted_version": "2027-01", "needs_acceptance": False}
    assert call(world, "GET", "/v1/me", token=token)[1]["privacy_policy"]["needs_acceptance"] is False


@pytest.mark.parametrize("body", [
    {"purpose": "astrology", "granted": True, "policy_version": "2026-01"},
    {"purpose": "marketing", "granted": "yes", "policy_version": "2026-01"},
    {"purpose": "marketing", "granted": True, "policy_version": "1999-99"},
    {"purpose": "marketing", "granted": True},
])
def test_an_unknown_purpose_or_version_is_400_and_stores_nothing(world, body):
    _, token = world.member()
    for lang, word in ((None, None), ("en", "")):
        status, out, _ = call(world, "POST", "/v1/me/consents", body, token, lang=lang)
        assert (status, out["error"]["code"]) == (400, "validation_error"), out
        assert out["error"]["details"]
        assert word is None or out["error"]["message"].isascii()
    listed = call(world, "GET", "/v1/me/consents", token=token)[1]
    assert listed["items"] == [] and listed["current"]["marketing"] is False


@pytest.mark.slow
def test_receipts_are_paged_newest_first(world):
    _, token = world.member()
    version = call(world, "GET", "/v1/privacy/policy")[1]["version"]
    for i in range(5):
        call(world, "POST", "/v1/me/consents",
             {"purpose": "marketing", "granted": i % 2 == 0, "policy_version": version}, token)
    seen, cursor = [], None
    while True:
        out = call(world, "GET", "/v1/me/consents?limit=2" + (f"&cursor={cursor}" if cursor else ""), token=token)[1]
        seen += out["items"]
        cursor = out["next_cursor"]
        if not cursor:
            break
    assert [r["granted"] for r in seen] == [True, False, True, False, True]
    assert [r["at"] for r in seen] == sorted((r["at"] for r in seen), reverse=True)
    assert len({r["receipt_id"] for r in seen}) == 5


def test_only_admins_publish_and_a_republished_version_is_refused(world):
    publish(world, "2027-02")
    status, body, _ = call(world, "PUT", "/v1/admin/privacy/policy",
                           {"version": "2027-02", "url": "https://m.example.com/p"}, world.admin)
    assert (status, body["error"]["code"]) == (400, "validation_error")
    status, body, _ = call(world, "PUT", "/v1/admin/privacy/policy",
                           {"version": "2027-03", "url": "https://m.example.com/p"}, world.agent)
    assert status == 403
    assert call(world, "GET", "/v1/privacy/policy")[1]["version"] == "2027-02"
