"""Access tokens are checked without a database: forged, expired and alg=none tokens are refused."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from chalicelib.core.errors import AppError
from chalicelib.identity.access_token import (
    AUDIENCE,
    Principal,
    issue_access_token,
    signing_secret,
    verify_access_token,
)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**over):
    now = int(time.time())
    return {"iss": "member-portal", "aud": AUDIENCE, "sub": "c_1", "cid": "c_1", "role": "member", "iat": now,
            "exp": now + 60, **over}


def test_round_trip():
    token, ttl = issue_access_token(Principal("c_1", "member", customer_id="c_1"))
    assert ttl == 900
    assert verify_access_token(token) == Principal("c_1", "member", customer_id="c_1")


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (lambda: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}.", "invalid_token"),
        (lambda: jwt.encode(_claims(), "another-secret", algorithm="HS256"), "invalid_token"),
        (lambda: jwt.encode(_claims(exp=int(time.time()) - 5), signing_secret(), algorithm="HS256"), "token_expired"),
        (lambda: jwt.encode(_claims(aud="someone-else"), signing_secret(), algorithm="HS256"), "invalid_token"),
        (lambda: jwt.encode(_claims(role="root"), signing_secret(), algorithm="HS256"), "invalid_token"),
        (lambda: jwt.encode(_claims(cid=None), signing_secret(), algorithm="HS256"), "invalid_token"),
        (lambda: "not.a.jwt", "invalid_token"),
    ],
)
def test_bad_tokens_are_refused(token, code):
    with pytest.raises(AppError) as err:
        verify_access_token(token())
    assert err.value.code == code


def test_a_member_token_cannot_claim_staff_role_by_tampering():
    token, _ = issue_access_token(Principal("c_1", "member", customer_id="c_1"))
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = f"{header}.{_b64({**claims, 'role': 'admin'})}.{sig}"
    with pytest.raises(AppError):
        verify_access_token(forged)
