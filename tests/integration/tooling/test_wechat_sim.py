"""DynamoTokenCache under moto, the client with that cache against the simulator, and the simulator run alone."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import urllib3
from moto import mock_aws

from chalicelib.core.config import reset_settings, settings
from chalicelib.core.dynamo import items
from chalicelib.core.wechat import PHONE_NUMBER_PATH, STABLE_TOKEN_PATH, WeChatClient
from chalicelib.core.wechat.token_cache import DynamoTokenCache, WechatTokenItem
from tools.simulators import wechat_sim
from tools.simulators.wechat_sim import DEFAULT_MP_APP_ID, DEFAULT_MP_SECRET

ROOT = Path(__file__).resolve().parents[3]
TABLE = "wechat-token-test"


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_REGION", "ap-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-east-1")
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
    reset_settings()
    items.reset_connections()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=settings().region)
        if TABLE not in client.list_tables()["TableNames"]:
            client.create_table(
                TableName=TABLE,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        yield client
    items.reset_connections()
    reset_settings()


@pytest.fixture(scope="module")
def sim():
    server, _thread = wechat_sim.start(port=0)
    yield server
    server.stop()


def test_empty_cache_returns_none(table):
    assert DynamoTokenCache().get("wx-nothing") is None


def test_put_then_get_round_trips_with_ttl(table):
    cache = DynamoTokenCache()
    expires_at = int(time.time()) + 7200
    cache.put("wx-app", "token-1", expires_at)
    assert cache.get("wx-app") == ("token-1", expires_at)

    raw = table.get_item(TableName=TABLE, Key={"pk": {"S": "WXTOKEN#wx-app"}, "sk": {"S": "WXTOKEN"}})["Item"]
    assert raw["access_token"] == {"S": "token-1"}
    assert raw["expires_at"] == {"N": str(expires_at)}
    assert raw["ttl"] == {"N": str(expires_at)}


def test_put_overwrites_and_apps_are_separate(table):
    cache = DynamoTokenCache()
    cache.put("wx-a", "old", 100)
    cache.put("wx-a", "new", 200)
    cache.put("wx-b", "other", 300)
    assert cache.get("wx-a") == ("new", 200)
    assert cache.get("wx-b") == ("other", 300)
    assert WechatTokenItem.count("WXTOKEN#wx-a") == 1


def test_instances_share_the_stable_token_through_dynamodb(table, sim):
    sim.state.reset()
    first = WeChatClient(sim.base_url, DEFAULT_MP_APP_ID, DEFAULT_MP_SECRET, DynamoTokenCache(), timeout=2)
    second = WeChatClient(sim.base_url, DEFAULT_MP_APP_ID, DEFAULT_MP_SECRET, DynamoTokenCache(), timeout=2)
    token = first.stable_access_token()
    assert second.stable_access_token() == token
    assert sim.request_count(STABLE_TOKEN_PATH) == 1
    assert DynamoTokenCache().get(DEFAULT_MP_APP_ID)[0] == token


@pytest.mark.slow
def test_phone_number_with_dynamo_cache_renews_after_expiry(table, sim):
    sim.state.reset()
    client = WeChatClient(sim.base_url, DEFAULT_MP_APP_ID, DEFAULT_MP_SECRET, DynamoTokenCache(), timeout=2)
    assert client.user_phone_number("mockphone:13812345678") == "13812345678"
    old = DynamoTokenCache().get(DEFAULT_MP_APP_ID)[0]
    urllib3.request("POST", sim.base_url + "/__sim/expire-tokens", json={})
    other_instance = WeChatClient(sim.base_url, DEFAULT_MP_APP_ID, DEFAULT_MP_SECRET, DynamoTokenCache(), timeout=2)
    assert other_instance.user_phone_number("mockphone:13912345678") == "13912345678"
    assert DynamoTokenCache().get(DEFAULT_MP_APP_ID)[0] != old
    assert sim.request_count(PHONE_NUMBER_PATH) == 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # real processes
def test_simulator_runs_alone_from_the_command_line():
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.simulators.wechat_sim", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                stats = urllib3.request("GET", base + "/__sim/stats", retries=False, timeout=1)
                break
            except urllib3.exceptions.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.05)
        assert json.loads(stats.data) == {"requests": {}}
        client = WeChatClient(base, DEFAULT_MP_APP_ID, DEFAULT_MP_SECRET, _MemoryCache(), timeout=2)
        assert client.code_to_session("mock:alice:union-a").unionid == "union-a"
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=10)
    assert f"127.0.0.1:{port}" in output


class _MemoryCache:
    def __init__(self) -> None:
        self.items: dict[str, tuple[str, int]] = {}

    def get(self, app_id: str) -> tuple[str, int] | None:
        return self.items.get(app_id)

    def put(self, app_id: str, token: str, expires_at: int) -> None:
        self.items[app_id] = (token, expires_at)
