"""Staff sign-in: passwords of any length the schema admits answer 200 or 4xx (bcrypt reads only 72 bytes and
raised on more: a 500), and hashes stored before the pre-hash still sign in and are upgraded."""

from __future__ import annotations

import pytest

from chalicelib.identity import staff
from chalicelib.identity.models import StaffItem

pytestmark = pytest.mark.integration


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


def test_a_hash_stored_before_the_prehash_signs_in_and_is_upgraded(api):
    import bcrypt

    staff.create_staff("legacy", "legacy-pass-1", "agent", rounds=4)
    item = StaffItem.get("STAFF#legacy", staff.SK)
    item.update(actions=[StaffItem.password_hash.set(bcrypt.hashpw(b"legacy-pass-1", bcrypt.gensalt(4)).decode())])
    assert login(api, "legacy", "legacy-pass-1" + "x" * 80)[0] == 401  # over 72 bytes: cannot be the old password
    assert login(api, "legacy", "wrong-pass-1")[0] == 401
    assert login(api, "legacy", "legacy-pass-1")[0] == 200
    assert StaffItem.get("STAFF#legacy", staff.SK).password_hash.startswith(staff.PREHASHED)
    assert login(api, "legacy", "legacy-pass-1")[0] == 200
