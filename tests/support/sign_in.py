"""Signing in the way a client does: a member by SMS code, staff by password.

Each helper takes where to send the requests: a base URL (real HTTP, ``tests.support.http.call``: the local stack,
``serve_app``), an ``Http``, or the in-process ``ApiClient`` of ``tests/support/api.py``; and returns the token
response (``access_token``, ``refresh_token``, ``customer_id``, ...), asserting every step answered as it should.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.http import call

Caller = Callable[..., tuple[int, Any]]


def _caller(client: Any) -> Caller:
    """``(method, path, body=None, headers=None) -> (status, body)`` for any of the clients above."""
    if isinstance(client, str):
        base = str(client)

        def over_http(method: str, path: str, body: Any = None,
                      headers: dict[str, str] | None = None) -> tuple[int, Any]:
            return call(base, method, path, body, headers=headers)

        return over_http

    def through(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        answer = client.call(method, path, body, headers=headers)
        return answer[0], answer[1]

    return through


def otp_code(client: Any, phone: str) -> str:
    """The last SMS code sent to ``phone`` (the local stage's ``/v1/dev/sms-outbox``)."""
    status, outbox = _caller(client)("GET", f"/v1/dev/sms-outbox?phone={phone}")
    assert status == 200 and outbox["items"], outbox
    return str(outbox["items"][0]["code"])


def app_login(client: Any, phone: str, channel: str | None = None) -> dict[str, Any]:
    """``POST /v1/auth/app/otp``, the code from the SMS outbox, ``POST /v1/auth/app/login`` (with ``X-Channel``
    when ``channel`` is given)."""
    send = _caller(client)
    headers = {"X-Channel": channel} if channel else None
    status, body = send("POST", "/v1/auth/app/otp", {"phone": phone}, headers=headers)
    assert status == 202, body
    status, tokens = send("POST", "/v1/auth/app/login", {"phone": phone, "otp": otp_code(client, phone)},
                          headers=headers)
    assert status == 200, tokens
    return dict(tokens)


def staff_login(client: Any, username: str, password: str) -> dict[str, Any]:
    """``POST /v1/staff/login``."""
    status, tokens = _caller(client)("POST", "/v1/staff/login", {"username": username, "password": password})
    assert status == 200, tokens
    return dict(tokens)
