"""PATCH /v1/me: consent gates the extended profile; a birthday is set once."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def member(api):
    return api.app_login("13700000001")["access_token"]


def test_basic_fields_need_no_consent(api, member):
    status, body, _ = api.call("PATCH", "/v1/me", {"name": "  韩梅梅 "}, token=member)
    assert status == 200 and body["name"] == "韩梅梅"


def test_extended_fields_need_the_profiling_consent(api, member):
    status, body, _ = api.call("PATCH", "/v1/me", {"birthday": "1990-05-01"}, token=member)
    assert (status, body["error"]["code"]) == (403, "consent_required")
    assert body["error"]["details"] == [{"field": "birthday", "issue": "needs consents.profiling"}]
    status, body, _ = api.call(
        "PATCH", "/v1/me", {"birthday": "1990-05-01", "gender": "female", "consents": {"profiling": True}}, token=member
    )
    assert status == 200, body
    assert (body["birthday"], body["gender"], body["consents"]["profiling"]) == ("1990-05-01", "female", True)


def test_a_birthday_is_set_once(api, member):
    api.call("PATCH", "/v1/me", {"birthday": "1990-05-01", "consents": {"profiling": True}}, token=member)
    status, body, _ = api.call("PATCH", "/v1/me", {"birthday": "1991-01-01"}, token=member)
    assert (status, body["error"]["code"]) == (409, "birthday_locked")
    assert api.call("GET", "/v1/me", token=member)[1]["birthday"] == "1990-05-01"
    assert api.call("PATCH", "/v1/me", {"birthday": "1990-05-01"}, token=member)[0] == 200


def test_withdrawing_consent_erases_the_extended_profile(api, member):
    api.call(
        "PATCH", "/v1/me",
        {"birthday": "1990-05-01", "preferences": {"size": "M"}, "consents": {"profiling": True}}, token=member,
    )
    status, body, _ = api.call("PATCH", "/v1/me", {"consents": {"profiling": False}, "gender": None}, token=member)
    assert status == 200, body
    assert (body["birthday"], body["gender"], body["preferences"]) == (None, None, {})


@pytest.mark.parametrize(
    "patch",
    [
        {"birthday": "2999-01-01"},
        {"birthday": "not-a-date"},
        {"gender": "robot"},
        {"name": ""},
        {"name": "x" * 33},
        {"consents": {"marketing": "yes"}},
        {"preferences": {f"k{i}": i for i in range(21)}},
        {"unknown_field": 1},
    ],
)
def test_bad_profile_input_is_refused_and_changes_nothing(api, member, patch):
    before = api.call("GET", "/v1/me", token=member)[1]
    status, body, _ = api.call("PATCH", "/v1/me", {**patch, "consents": patch.get("consents", {"profiling": True})},
                               token=member)
    assert status == 400, body
    assert body["error"]["code"] == "validation_error" and body["error"]["details"]
    assert api.call("GET", "/v1/me", token=member)[1] == before
