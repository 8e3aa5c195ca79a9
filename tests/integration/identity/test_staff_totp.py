"""The staff's optional second factor, checked against an authenticator's algorithm written from RFC 6238
(``tests/support/totp.py``), not with the library the app uses."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.core import clock
from chalicelib.core.config import reset_settings
from chalicelib.identity import staff
from chalicelib.identity.models import StaffItem
from tests.support.totp import authenticator

pytestmark = pytest.mark.integration

START = datetime(2030, 5, 6, 1, 0, 10, tzinfo=UTC)


def test_the_authenticator_here_is_rfc_6238():
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert authenticator(secret, datetime.fromtimestamp(59, UTC), digits=8) == "94287082"
    assert authenticator(secret, datetime.fromtimestamp(1111111109, UTC), digits=8) == "07081804"


def enrol(api, username: str, password: str) -> str:
    status, body, _ = api.call("POST", "/v1/staff/totp/enrolment", {"username": username, "password": password})
    assert status == 201, body
    uri = urlparse(body["otpauth_uri"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert parse_qs(uri.query)["secret"] == [body["secret"]]
    code = authenticator(body["secret"], clock.now())
    status, done, _ = api.call("POST", "/v1/staff/totp/confirmation",
                               {"username": username, "password": password, "code": code})
    assert (status, done) == (200, {"mfa_enabled": True})
    return str(body["secret"])


def login(api, username: str, password: str, totp: str | None = None) -> tuple[int, dict, dict]:
    body = {"username": username, "password": password, **({"totp": totp} if totp else {})}
    return api.call("POST", "/v1/staff/login", body, headers={"accept-language": "en"})


def test_enrolment_and_sign_in_with_an_authenticator_each_code_once(api):
    clock.set_now(START)
    staff.create_staff("two-step", "two-step-pass", "agent", rounds=4)
    assert login(api, "two-step", "two-step-pass")[0] == 200  # optional: nothing asked before enrolment
    secret = enrol(api, "two-step", "two-step-pass")
    assert secret not in StaffItem.get("STAFF#two-step", staff.SK).totp_secret  # stored sealed

    clock.set_now(START + timedelta(seconds=30))
    status, body, _ = login(api, "two-step", "two-step-pass")
    assert (status, body["error"]["code"]) == (401, "mfa_required")
    wrong = f"{(int(authenticator(secret, clock.now())) + 1) % 10**6:06d}"
    assert login(api, "two-step", "two-step-pass", wrong)[1]["error"]["code"] == "invalid_totp"
    code = authenticator(secret, clock.now())
    status, tokens, _ = login(api, "two-step", "two-step-pass", code)
    assert status == 200 and tokens["role"] == "agent"
    status, body, _ = login(api, "two-step", "two-step-pass", code)
    assert (status, body["error"]["code"]) == (401, "invalid_totp")  # that step's code is spent

    clock.set_now(START + timedelta(seconds=95))  # the phone's clock 30 s behind: the previous step still works
    assert login(api, "two-step", "two-step-pass", authenticator(secret, clock.now() - timedelta(seconds=30)))[0] == 200
    assert login(api, "two-step", "two-step-pass", "12345a")[0] == 400
    status, body, _ = api.call("POST", "/v1/staff/totp/enrolment",
                               {"username": "two-step", "password": "two-step-pass"})
    assert (status, body["error"]["code"]) == (409, "mfa_already_enabled")


def test_a_wrong_password_is_refused_before_any_code_is_asked(api):
    clock.set_now(START)
    staff.create_staff("two-step-b", "two-step-pass", "agent", rounds=4)
    enrol(api, "two-step-b", "two-step-pass")
    status, body, _ = login(api, "two-step-b", "wrong-password", "000000")
    assert (status, body["error"]["code"]) == (401, "invalid_credentials")
    status, body, _ = api.call("POST", "/v1/staff/totp/enrolment", {"username": "two-step-b", "password": "nope-nope"})
    assert (status, body["error"]["code"]) == (401, "invalid_credentials")


def test_wrong_codes_count_as_failed_sign_ins(api):
    clock.set_now(START)
    staff.create_staff("code-guess", "code-guess-pass", "agent", rounds=4)
    secret = enrol(api, "code-guess", "code-guess-pass")
    right = int(authenticator(secret, clock.now()))
    answers = [login(api, "code-guess", "code-guess-pass", f"{(right + n) % 10**6:06d}")[0] for n in range(100, 106)]
    assert answers == [401] * 5 + [429]


@pytest.fixture
def mfa_required(monkeypatch):
    monkeypatch.setenv("STAFF_MFA_REQUIRED", "true")
    reset_settings()
    yield
    monkeypatch.delenv("STAFF_MFA_REQUIRED")
    reset_settings()


def test_admins_must_enrol_when_the_setting_requires_it(api, mfa_required):
    clock.set_now(START)
    staff.create_staff("boss", "boss-pass-1", "admin", rounds=4)
    staff.create_staff("helper", "helper-pass-1", "agent", rounds=4)
    status, body, _ = login(api, "boss", "boss-pass-1")
    assert (status, body["error"]["code"]) == (403, "mfa_enrolment_required")
    assert login(api, "helper", "helper-pass-1")[0] == 200  # agents: optional
    secret = enrol(api, "boss", "boss-pass-1")
    clock.set_now(START + timedelta(seconds=30))
    status, tokens, _ = login(api, "boss", "boss-pass-1", authenticator(secret, clock.now()))
    assert status == 200 and tokens["role"] == "admin"
