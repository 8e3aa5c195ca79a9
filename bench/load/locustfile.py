"""Members during a flash sale, for locust: ``python -m bench.load`` (``make load``) runs it and prints the table.

Each simulated member signs in (one in four through the app's SMS code, read from the local stage's simulated SMS
outbox, at most ``--sms-signins`` in all: the API allows 30 codes per IP an hour; the rest through the mini-program
with the WeChat simulator's ``mock:`` codes), gets points from a store order (the integration key), checks in, then
loops over ``/v1/me``, the benefits zone, the hot reward's page and its redemption. The hot reward is created at the
start (``--stock`` units on ``--stock-shards`` shards, by the admin account); at the end the stock left is read back
and compared with the redemptions answered 201: oversold = redemptions over the stock, and sold must equal them.

Expected refusals are not errors: ``out_of_stock`` once the reward is sold out, ``already_checked_in`` on a second
check-in the same day, ``insufficient_points``. Errors are 5xx, connection failures and any other 4xx.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any

import requests
from locust import HttpUser, between, events, task

EXPECTED_REFUSALS = {"out_of_stock", "already_checked_in", "insufficient_points", "per_member_limit_reached"}


class Sale:
    """What the run shares: the hot reward and the counts the oversell check needs."""

    reward_id = ""
    stock = 0
    redeemed = 0
    refused = 0
    sms_signins = 0
    lock = threading.Lock()


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--stock", type=int, default=200, help="units of the hot reward")
    parser.add_argument("--stock-shards", type=int, default=10)
    parser.add_argument("--admin-user", default="admin")
    parser.add_argument("--admin-password", default="admin-local-pass")
    parser.add_argument("--integration-key", default="local-integration-key")
    parser.add_argument("--sms-signins", type=int, default=25, help="at most this many sign-ins by SMS code")
    parser.add_argument("--report-file", default="", help="also write the figures here as JSON")


def _admin_token(host: str, options: Any) -> str:
    response = requests.post(f"{host}/v1/staff/login", json={"username": options.admin_user,
                                                              "password": options.admin_password}, timeout=30)
    response.raise_for_status()
    return str(response.json()["access_token"])


@events.test_start.add_listener
def _create_hot_reward(environment: Any, **_kwargs: Any) -> None:
    options = environment.parsed_options
    token = _admin_token(environment.host, options)
    response = requests.post(
        f"{environment.host}/v1/admin/rewards", headers={"Authorization": f"Bearer {token}"}, timeout=30,
        json={"name": f"限量闪购 {datetime.now(UTC):%H:%M:%S}", "points_cost": 10, "stock": options.stock,
              "stock_shards": options.stock_shards, "fulfillment": "in_house"})
    response.raise_for_status()
    Sale.reward_id, Sale.stock = response.json()["reward_id"], options.stock


@events.test_stop.add_listener
def _check_the_stock(environment: Any, **_kwargs: Any) -> None:
    time.sleep(3)  # the reward page's stock is cached for a couple of seconds
    left = requests.get(f"{environment.host}/v1/rewards/{Sale.reward_id}", timeout=30).json()["stock_remaining"]
    sold = Sale.stock - int(left)
    report = {
        "stock": Sale.stock, "stock_left": int(left), "sold": sold, "redemptions": Sale.redeemed,
        "refused_out_of_stock": Sale.refused, "oversold": max(0, Sale.redeemed - Sale.stock),
        "sold_matches_redemptions": sold == Sale.redeemed, "sms_signins": Sale.sms_signins,
        "requests": _stats(environment),
    }
    path = environment.parsed_options.report_file
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(report, out, ensure_ascii=False, indent=2)


def _stats(environment: Any) -> list[dict[str, Any]]:
    rows = []
    for entry in [*sorted(environment.stats.entries.values(), key=lambda e: e.name), environment.stats.total]:
        if not entry.num_requests:
            continue
        rows.append({"name": entry.name, "requests": entry.num_requests, "errors": entry.num_failures,
                     "p50": entry.get_response_time_percentile(0.5), "p95": entry.get_response_time_percentile(0.95),
                     "p99": entry.get_response_time_percentile(0.99), "rps": round(entry.total_rps, 1)})
    return rows


def _code(response: Any) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


class FlashSaleMember(HttpUser):
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.token = ""
        options = self.environment.parsed_options
        with Sale.lock:
            use_sms = Sale.sms_signins < options.sms_signins and secrets.randbelow(4) == 0
            Sale.sms_signins += use_sms
        tokens = self._sign_in_by_sms() if use_sms else self._sign_in_by_mini_program()
        if not tokens:
            return
        self.token = tokens["access_token"]
        self.headers = {"Authorization": f"Bearer {self.token}", "X-Channel": "app" if use_sms else "miniprogram"}
        order = {"order_no": f"LOAD-{secrets.token_hex(8)}", "customer": {"customer_id": tokens["customer_id"]},
                 "amount_fen": 500_000, "channel": "store", "paid_at": datetime.now(UTC).isoformat()}
        self.client.post("/v1/integrations/orders", json=order, headers={"X-Api-Key": options.integration_key},
                         name="POST /v1/integrations/orders (points)")
        self.check_in()

    def _sign_in_by_sms(self) -> dict[str, Any] | None:
        phone = f"139{secrets.randbelow(10**8):08d}"
        self.client.post("/v1/auth/app/otp", json={"phone": phone}, name="sign-in: POST /v1/auth/app/otp")
        outbox = self.client.get(f"/v1/dev/sms-outbox?phone={phone}", name="sign-in: GET /v1/dev/sms-outbox")
        items = outbox.json().get("items", []) if outbox.ok else []
        if not items:
            return None
        response = self.client.post("/v1/auth/app/login", json={"phone": phone, "otp": items[0]["code"]},
                                    name="sign-in: POST /v1/auth/app/login")
        return dict(response.json()) if response.ok else None

    def _sign_in_by_mini_program(self) -> dict[str, Any] | None:
        response = self.client.post("/v1/auth/miniprogram/login", json={"code": f"mock:o_load_{secrets.token_hex(6)}"},
                                    name="sign-in: POST /v1/auth/miniprogram/login")
        return dict(response.json()) if response.ok else None

    def _expect(self, method: str, path: str, name: str, extra_headers: dict[str, str] | None = None,
                **kwargs: Any) -> Any:
        """A request whose expected refusals count as answers, not errors."""
        with self.client.request(method, path, name=name, headers={**self.headers, **(extra_headers or {})},
                                 catch_response=True, **kwargs) as response:
            if response.status_code < 400 or _code(response) in EXPECTED_REFUSALS:
                response.success()
            else:
                response.failure(f"{response.status_code} {_code(response) or 'no envelope'}")
            return response

    @task(5)
    def me(self) -> None:
        if self.token:
            self._expect("GET", "/v1/me", "GET /v1/me")

    @task(3)
    def benefits(self) -> None:
        if self.token:
            self._expect("GET", "/v1/benefits", "GET /v1/benefits")

    @task(3)
    def hot_reward(self) -> None:
        if self.token:
            self._expect("GET", f"/v1/rewards/{Sale.reward_id}", "GET /v1/rewards/{hot}")

    @task(4)
    def redeem(self) -> None:
        if not self.token:
            return
        response = self._expect("POST", "/v1/redemptions", "POST /v1/redemptions (hot reward)",
                                {"Idempotency-Key": secrets.token_hex(12)},
                                json={"reward_id": Sale.reward_id, "quantity": 1})
        with Sale.lock:
            if response.status_code == 201:
                Sale.redeemed += 1
            elif _code(response) == "out_of_stock":
                Sale.refused += 1

    @task(1)
    def check_in(self) -> None:
        if self.token:
            self._expect("POST", "/v1/me/check-ins", "POST /v1/me/check-ins")
