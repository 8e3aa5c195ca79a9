"""The app in-process (chalice's test client), called the way a client would: JSON in, status + JSON out.

``in_process_api`` is the set-up of the ``api`` fixture (``tests/integration/conftest.py``) and of
``contract.shared_api``: on the current environment's tables, with the WeChat simulator and STAGE=local.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.support import response_contract, sign_in
from tests.support.aws import EnvPatcher, reset_app_caches
from tests.support.clock import frozen_clock


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
        off_contract = response_contract.mismatch(method, path, response.status_code, response.body or b"",
                                                  response.headers)
        assert off_contract is None, off_contract
        text = response.body.decode() if response.body else ""
        try:
            return response.status_code, (json.loads(text) if text else None), response.headers
        except ValueError:
            if response.headers.get("Content-Type", "").startswith("application/json"):
                raise
            return response.status_code, text, response.headers  # a page or a file (the console's): as it is

    def otp_code(self, phone: str) -> str:
        return sign_in.otp_code(self, phone)

    def app_login(self, phone: str, channel: str = "app") -> dict:
        return sign_in.app_login(self, phone, channel)

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


@contextmanager
def in_process_api(env: EnvPatcher, wechat_base_url: str, project_dir: str) -> Iterator[ApiClient]:
    """The app in chalice's test client on the tables the environment names (``fresh_tables`` has set them), the
    WeChat simulator at ``wechat_base_url``, STAGE=local. Afterwards the clock runs and the app's caches are reset.

    ``project_dir`` should be an empty directory: the test client must not overlay ``.chalice/config.json``'s stage
    variables (they name the local stack's endpoints) on the test's own environment.
    """
    from chalice.test import Client

    import app as application

    env.setenv("WECHAT_API_BASE", wechat_base_url)
    env.setenv("WECHAT_MP_SECRET", "local-mp-secret")
    env.setenv("WECHAT_OA_SECRET", "local-oa-secret")
    env.setenv("STAGE", "local")
    reset_app_caches()
    try:
        with frozen_clock(), Client(application.app, project_dir=project_dir) as client:
            yield ApiClient(client)
    finally:
        reset_app_caches()
