"""Simultaneous refreshes with one refresh token, against two worker processes sharing DynamoDB Local.

A client that fires several requests at once, each refreshing with the same token, must stay signed in: a replay
within the grace window (``sessions.REFRESH_REPLAY_GRACE_SECONDS``) gets the same successor. A replay after the
window is still theft and revokes the whole family.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import boto3
import pytest

from chalicelib.core import clock
from chalicelib.core.config import settings
from chalicelib.core.errors import AppError
from chalicelib.identity import directory, sessions, sign_in
from tests.support.http import Http, serve_app_processes
from tests.support.phones import new_phone

# Slow (left out of `make test-fast`): real processes and concurrent requests.
pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _member_tokens() -> dict[str, Any]:
    phone = new_phone()
    cid = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id
    return sessions.issue(sessions.member_principal(cid))


def _burst(server: Http, token: str, n: int) -> list[tuple[int, Any]]:
    barrier = threading.Barrier(n)

    def one(_: int) -> tuple[int, Any]:
        barrier.wait()
        return server.call("POST", "/v1/auth/refresh", {"refresh_token": token})

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def _table_strings() -> str:
    cfg = settings()
    client = boto3.client("dynamodb", endpoint_url=cfg.dynamodb_endpoint, region_name=cfg.region)
    return repr(client.scan(TableName=cfg.table_name)["Items"])


def test_ten_simultaneous_refreshes_with_one_token_all_get_the_same_successor(ddb_table: str):
    tokens = _member_tokens()
    with serve_app_processes(workers=2) as server:
        results = _burst(server, tokens["refresh_token"], 10)
        assert [status for status, _ in results] == [200] * 10, results
        successors = {body["refresh_token"] for _, body in results}
        assert len(successors) == 1, "every replay within the window gets the one successor"
        (successor,) = successors
        assert successor != tokens["refresh_token"]
        assert {body["customer_id"] for _, body in results} == {tokens["customer_id"]}
        assert all(body["access_token"] for _, body in results)
        # The successor is never stored readable: only a holder of the spent token can recover it.
        assert successor not in _table_strings()

        # The successor still works, and rotates on as usual.
        status, newest = server.call("POST", "/v1/auth/refresh", {"refresh_token": successor})
        assert status == 200, newest
        assert newest["refresh_token"] not in (successor, tokens["refresh_token"])
        status, body = server.call("GET", "/v1/me", token=newest["access_token"])
        assert status == 200, body

        # After the window the first token is a stolen one again: the whole family goes.
        clock.set_now(clock.now() + timedelta(seconds=sessions.REFRESH_REPLAY_GRACE_SECONDS + 2))
        try:
            with pytest.raises(AppError) as refused:
                sign_in.refresh(tokens["refresh_token"])
            assert refused.value.code == "invalid_refresh_token"
        finally:
            clock.set_now(None)
        status, body = server.call("POST", "/v1/auth/refresh", {"refresh_token": newest["refresh_token"]})
        assert (status, body["error"]["code"]) == (401, "invalid_refresh_token"), "the family was revoked"


def test_a_replay_within_the_window_after_the_successor_moved_on_gets_the_newest(ddb_table: str):
    tokens = _member_tokens()
    first = sign_in.refresh(tokens["refresh_token"])
    second = sign_in.refresh(first["refresh_token"])
    again = sign_in.refresh(tokens["refresh_token"])
    assert again["refresh_token"] == second["refresh_token"]
    assert sign_in.refresh(second["refresh_token"])["refresh_token"] != second["refresh_token"]


def test_a_replay_after_the_window_revokes_the_family(ddb_table: str):
    tokens = _member_tokens()
    fresh = sign_in.refresh(tokens["refresh_token"])
    clock.set_now(clock.now() + timedelta(seconds=sessions.REFRESH_REPLAY_GRACE_SECONDS + 2))
    try:
        for raw in (tokens["refresh_token"], fresh["refresh_token"]):
            with pytest.raises(AppError) as refused:
                sign_in.refresh(raw)
            assert refused.value.code == "invalid_refresh_token"
    finally:
        clock.set_now(None)


def test_a_revoked_family_is_not_revived_by_a_replay_within_the_window(ddb_table: str):
    tokens = _member_tokens()
    sign_in.refresh(tokens["refresh_token"])
    sign_in.logout(tokens["refresh_token"])
    with pytest.raises(AppError) as refused:
        sign_in.refresh(tokens["refresh_token"])
    assert refused.value.code == "invalid_refresh_token"
