"""In-process API fixtures over DynamoDB Local and the WeChat simulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.core import clock, wechat
from chalicelib.core.config import reset_settings


@pytest.fixture(scope="session")
def wechat_sim() -> Iterator[Any]:
    from tools.wechat_sim import start

    server, _thread = start(port=0)
    yield server
    server.stop()


@dataclass
class ApiClient:
    """Calls the app in-process the way a client would: JSON in, status + JSON out."""

    client: Any

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None, headers: dict | None = None
    ) -> tuple[int, Any, dict]:
        hdrs = {"content-type": "application/json", **(headers or {})}
        if token:
            hdrs["authorization"] = f"Bearer {token}"
        raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
        response = getattr(self.client.http, method.lower())(path, body=raw, headers=hdrs)
        text = response.body.decode() if response.body else ""
        return response.status_code, (json.loads(text) if text else None), response.headers

    def otp_code(self, phone: str) -> str:
        status, body, _ = self.call("GET", f"/v1/dev/sms-outbox?phone={phone}")
        assert status == 200, body
        return body["items"][0]["code"]

    def app_login(self, phone: str, channel: str = "app") -> dict:
        status, body, _ = self.call("POST", "/v1/auth/app/otp", {"phone": phone})
        assert status == 202, body
        status, body, _ = self.call(
            "POST", "/v1/auth/app/login", {"phone": phone, "otp": self.otp_code(phone)}, headers={"x-channel": channel}
        )
        assert status == 200, body
        return body

    def mp_login(self, code: str) -> dict:
        status, body, _ = self.call("POST", "/v1/auth/miniprogram/login", {"code": code})
        assert status == 200, body
        return body

    def oa_login(self, code: str) -> dict:
        status, body, _ = self.call(
            "GET", "/v1/auth/wechat-oa/authorize-url?redirect_uri=https%3A%2F%2Fm.example.com%2Fcb"
        )
        assert status == 200, body
        status, body, _ = self.call("POST", "/v1/auth/wechat-oa/login", {"code": code, "state": body["state"]})
        assert status == 200, body
        return body


@pytest.fixture
def api(ddb_table: str, wechat_sim: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[ApiClient]:
    from chalice.test import Client

    import app as application

    monkeypatch.setenv("WECHAT_API_BASE", wechat_sim.base_url)
    monkeypatch.setenv("WECHAT_MP_SECRET", "local-mp-secret")
    monkeypatch.setenv("WECHAT_OA_SECRET", "local-oa-secret")
    monkeypatch.setenv("STAGE", "local")
    reset_settings()
    wechat.reset_clients()
    # An empty project dir: the test client must not overlay .chalice/config.json's stage variables
    # (they name the local stack's endpoints) on the test's own environment.
    with Client(application.app, project_dir=str(tmp_path)) as client:
        yield ApiClient(client)
    clock.set_now(None)
    wechat.reset_clients()
    reset_settings()
