"""Staff sign-in: passwords of any length the schema admits answer 200 or 4xx (bcrypt reads only 72 bytes and
raised on more: a 500), hashes stored before the pre-hash still sign in and are upgraded; failures lock the account
briefly and the address for long, before bcrypt runs (``identity/staff_guard.py``); a disabled or re-roled staff
member's refresh token stops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.identity import staff
from chalicelib.identity.models import StaffItem

pytestmark = pytest.mark.integration

START = datetime(2030, 5, 6, 1, 0, tzinfo=UTC)


def login(api, username: str, password: str) -> tuple[int, dict]:
    status, body, _ = api.call("POST", "/v1/staff/login", {"username": username, "password": password})
    return status, body


@pytest.mark.parametrize("length", [8, 71, 72, 73, 100, 128])
def test_a_password_of_any_length_in_the_schema_signs_in_or_is_refused_never_500(api, length):
    password = ("密" * length)[:length]  # three UTF-8 bytes a character: 128 characters are 384 bytes
    staff.create_staff(f"long-{length}", password, "agent", rounds=4)
    assert login(api, f"long-{length}", password)[0] == 200
    status, body = login(api, f"long-{length}", password[:-1] + "x")
    assert (status, body["error"]["code"]) == (401, "invalid_credentials")
    status, body = login(api, "nobody-at-all", password)
    assert (status, body["error"]["code"]) == (401, "invalid_credentials")


def test_two_passwords_sharing_their_first_72_bytes_are_different_passwords(api):
    staff.create_staff("prefix", "a" * 72 + "-one", "agent", rounds=4)
    assert login(api, "prefix", "a" * 72 + "-two")[0] == 401
    assert login(api, "prefix", "a" * 72 + "-one")[0] == 200


@pytest.mark.parametrize("password", ["short", "x" * 129])
def test_a_password_outside_8_to_128_characters_is_a_validation_error(api, password):
    status, body, _ = api.call(
        "POST", "/v1/staff/login", {"username": "agent", "password": password}, headers={"accept-language": "en"}
    )
    assert (status, body["error"]["code"]) == (400, "validation_error")
    assert [d["field"] for d in body["error"]["details"]] == ["password"]


@pytest.mark.slow
def test_an_account_stored_before_the_prehash_signs_in_and_is_upgraded(api):
    """As the old ``create_staff`` wrote it: bcrypt over the password, no place in the admins' list, no staff-ID
    item. Its first sign-in replaces the hash and adds both (the admins can then find and change it)."""
    import bcrypt

    StaffItem(pk="STAFF#legacy", sk=staff.SK, staff_id="s_legacy0001", username="legacy", role="agent",
              password_hash=bcrypt.hashpw(b"legacy-pass-1", bcrypt.gensalt(4)).decode()).save()
    assert login(api, "legacy", "legacy-pass-1" + "x" * 80)[0] == 401  # over 72 bytes: cannot be the old password
    assert login(api, "legacy", "wrong-pass-1")[0] == 401
    assert login(api, "legacy", "legacy-pass-1")[0] == 200
    assert StaffItem.get("STAFF#legacy", staff.SK).password_hash.startswith(staff.PREHASHED)
    assert login(api, "legacy", "legacy-pass-1")[0] == 200

    staff.create_staff("legacy-admin", "legacy-admin-pass", "admin", rounds=4)
    admin = login(api, "legacy-admin", "legacy-admin-pass")[1]["access_token"]
    listed = api.call("GET", "/v1/admin/staff", token=admin)[1]["items"]
    assert "s_legacy0001" in [a["staff_id"] for a in listed]
    status, changed, _ = api.call("PATCH", "/v1/admin/staff/s_legacy0001", {"disabled": True}, token=admin)
    assert (status, changed["disabled"]) == (200, True)


# --------------------------------------------------------------------------------- guessing


@pytest.fixture
def from_ip(monkeypatch):
    """``from_ip("10.0.0.7")``: the next requests come from that client address (API Gateway's ``sourceIp``)."""
    from chalice.local import LambdaEventConverter

    return lambda ip: monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)


@pytest.fixture
def bcrypt_runs(monkeypatch) -> list[int]:
    """Every bcrypt check the app makes, counted (one item per run)."""
    import bcrypt

    runs: list[int] = []
    real = bcrypt.checkpw

    def counted(password: bytes, hashed: bytes) -> bool:
        runs.append(1)
        return bool(real(password, hashed))

    monkeypatch.setattr(bcrypt, "checkpw", counted)
    return runs


def attempt(api, username: str, password: str) -> tuple[int, dict, dict]:
    return api.call("POST", "/v1/staff/login", {"username": username, "password": password},
                    headers={"accept-language": "en"})


@pytest.mark.slow
def test_fifty_wrong_passwords_for_one_account_lock_it_before_bcrypt_runs_again(api, from_ip, bcrypt_runs):
    from chalicelib.core import clock

    clock.set_now(START)
    staff.create_staff("target", "target-pass-1", "agent", rounds=4)
    answers = []
    for n in range(50):  # each from its own address: only the account's lock can stop them
        from_ip(f"10.1.0.{n}")
        status, body, headers = attempt(api, "target", f"guess-{n:04d}")
        answers.append((status, body["error"]["code"], headers.get("Retry-After")))
    assert answers[:5] == [(401, "invalid_credentials", None)] * 5
    assert answers[5:] == [(429, "rate_limited", "30")] * 45
    assert len(bcrypt_runs) == 5
    from_ip("10.2.0.1")
    assert attempt(api, "target", "target-pass-1")[0] == 429  # even the right password waits
    assert len(bcrypt_runs) == 5

    # Each lockout is longer than the one before, up to the account's cap.
    waits = []
    for _round in range(7):
        locked = attempt(api, "target", "guess-guess")
        assert locked[0] == 429, (waits, locked)
        waits.append(int(locked[2]["Retry-After"]))
        clock.set_now(clock.now() + timedelta(seconds=waits[-1]))
        for n in range(5):
            from_ip(f"10.3.{_round}.{n}")
            assert attempt(api, "target", f"guess-{n:04d}")[0] == 401
    assert waits == [30, 60, 120, 240, 480, 900, 900]

    # After the lock, the right password signs in and the account's count starts again.
    clock.set_now(clock.now() + timedelta(seconds=900))
    assert attempt(api, "target", "target-pass-1")[0] == 200
    assert [attempt(api, "target", f"again-{n:04d}")[0] for n in range(5)] == [401] * 5
    assert attempt(api, "target", "again-again")[2]["Retry-After"] == "30"


@pytest.mark.slow  # hundreds of requests: the slowest of the quick loop
def test_two_hundred_failures_from_one_address_lock_it_for_long_but_not_the_account(api, from_ip, bcrypt_runs):
    from chalicelib.core import clock

    clock.set_now(START)
    staff.create_staff("victim", "victim-pass-1", "agent", rounds=4)
    from_ip("203.0.113.9")
    answers = []
    for n in range(200):  # the victim's account, then made-up ones: the address's lock stops them all
        username = "victim" if n < 4 else f"user-{n}"
        status, body, headers = attempt(api, username, f"guess-{n:04d}")
        answers.append((status, body["error"]["code"], headers.get("Retry-After")))
    assert answers[:20] == [(401, "invalid_credentials", None)] * 20
    assert answers[20:] == [(429, "rate_limited", "900")] * 180
    assert len(bcrypt_runs) == 20

    # The victim, from their own address, is not locked out by it.
    from_ip("198.51.100.4")
    assert attempt(api, "victim", "victim-pass-1")[0] == 200

    # The address's next lockout is longer.
    from_ip("203.0.113.9")
    clock.set_now(clock.now() + timedelta(seconds=900))
    assert [attempt(api, f"other-{n}", "guess-guess")[0] for n in range(20)] == [401] * 20
    assert attempt(api, "other-x", "guess-guess")[2]["Retry-After"] == "1800"


@pytest.mark.slow
def test_one_address_cannot_keep_an_account_locked(api, from_ip):
    """The attacker's address is shut out (15 min) long before the account's short lock (at most 4 min by then)
    ends: the owner signs in from elsewhere while the attacker waits."""
    from chalicelib.core import clock

    clock.set_now(START)
    staff.create_staff("owner", "owner-pass-1", "agent", rounds=4)
    from_ip("192.0.2.66")
    failures = 0
    while True:
        status, _body, headers = attempt(api, "owner", "guess-guess")
        if status == 401:
            failures += 1
            continue
        if failures >= 20:
            break
        clock.set_now(clock.now() + timedelta(seconds=int(headers["Retry-After"])))  # the attacker waits it out
    assert int(headers["Retry-After"]) > 10 * 60  # the address's lock
    clock.set_now(clock.now() + timedelta(seconds=5 * 60))
    from_ip("198.51.100.5")
    assert attempt(api, "owner", "owner-pass-1")[0] == 200
    from_ip("192.0.2.66")
    assert attempt(api, "owner", "owner-pass-1")[0] == 429  # even with the right password: the address waits


def test_a_refresh_token_of_a_disabled_staff_member_stops_at_once(api):
    staff.create_staff("leaver", "leaver-pass-1", "agent", rounds=4)
    status, tokens = login(api, "leaver", "leaver-pass-1")
    assert status == 200
    status, tokens, _ = api.call("POST", "/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert status == 200, tokens
    StaffItem.get("STAFF#leaver", staff.SK).update(actions=[StaffItem.disabled.set(True)])
    status, body, _ = api.call("POST", "/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert (status, body["error"]["code"]) == (401, "invalid_refresh_token")


def test_a_refresh_token_keeps_the_role_it_was_issued_for_only_while_the_account_has_it(api):
    staff.create_staff("demoted", "demoted-pass-1", "admin", rounds=4)
    status, tokens = login(api, "demoted", "demoted-pass-1")
    assert status == 200 and tokens["role"] == "admin"
    staff.create_staff("demoted", "demoted-pass-1", "agent", rounds=4)
    status, body, _ = api.call("POST", "/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert (status, body["error"]["code"]) == (401, "invalid_refresh_token")
