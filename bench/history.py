"""A five-year member against a new one (issue 20): DynamoDB calls and consumed capacity of the hot paths and of the
paged lists of the growing kinds (``python -m bench --only history``).

The five-year member is given, before each run, the items five years of use leave in their partition, in the shapes
the stack writes in the current layout (``core.dynamo.member_layout``): 300 quota counters of past periods (60
periods x 5 benefits, as the migration leaves them), 200 idempotency records, 50 supports and 50 votes, 50
redemption-limit counters, 5 birthday markers, 40 appointments, 10 Plus orders and 200 savings lines. The targets
of the issue: the same calls, and capacity within 1.1x of the new member's (reported, not enforced).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.endpoints import Request, Scenario, Session, _bench_benefit
from bench.mall import _member_with_points, _reward
from bench.report import percentile, table
from bench.stack import REPO_ROOT


def _raw_put(cid: str, sk: str, **attrs: Any) -> dict[str, Any]:
    return {"PutRequest": {"Item": {"pk": {"S": f"CUST#{cid}"}, "sk": {"S": sk}, **attrs}}}


def _history(cid: str, client: Any = None, table: str | None = None, store: tuple[str, str] = ("st_x", "sv_x")
             ) -> None:
    """Five years of history in ``cid``'s partition (``client``/``table``: the app's own by default; ``store``: the
    store and service of the past appointments)."""
    from chalicelib.core.config import settings
    from chalicelib.core.dynamo.connection import shared_connection

    s = lambda v: {"S": v}  # noqa: E731
    n = lambda v: {"N": str(v)}  # noqa: E731
    puts: list[dict[str, Any]] = []
    for b in range(5):
        for p in range(60):
            puts.append(_raw_put(cid, f"H#QUOTA#bn_hist{b}#{cid}#M{2021 + p // 12}-{p % 12 + 1:02d}",
                                 benefit_id=s(f"bn_hist{b}"), period_key=s(f"M{2021 + p // 12}-{p % 12 + 1:02d}"),
                                 count=n(2)))
    for i in range(200):
        puts.append(_raw_put(cid, f"H#IDEM#{secrets.token_hex(16)}", request_hash=s("h" * 32), status=n(201),
                             body=s('{"redemption_id": "rdm_x", "status": "completed", "points_spent": 100}'),
                             ttl=n(4102444800)))
        puts.append(_raw_put(cid, f"H#PLUSSAVE#2025-01-01T00:00:{i:02d}.000Z#{secrets.token_hex(4)}",
                             customer_id=s(cid), kind=s("points"), saved_fen=n(12), ref=s(f"ord_{i}"),
                             at=s("2025-01-01T00:00:00.000Z")))
    for i in range(50):
        puts.append(_raw_put(cid, f"H#C2BS#rq_hist{i:03d}", request_id=s(f"rq_hist{i:03d}"), title=s("历史需求"),
                             quantity=n(1), created_at=s("2024-01-01"), updated_at=s(f"2024-01-{i % 28 + 1:02d}")))
        puts.append(_raw_put(cid, f"H#C2BV#rq_hist{i:03d}#p1", request_id=s(f"rq_hist{i:03d}"), poll_id=s("p1"),
                             option_id=s("a")))
        puts.append(_raw_put(cid, f"H#RLIM#rwd_hist{i:03d}", reward_id=s(f"rwd_hist{i:03d}"), count=n(1)))
    for y in range(2021, 2026):
        puts.append(_raw_put(cid, f"H#BDAY#{y}", issued=s("{}"), vouchers={"L": []}, created_at=s(f"{y}-01-01")))
    for i in range(40):
        apt = f"apt_hist{i:04d}"
        puts.append(_raw_put(cid, f"H#APPT#{apt}", appointment_id=s(apt), customer_id=s(cid), store_id=s(store[0]),
                             service_id=s(store[1]), slot_start=s("2024-01-01T10:00:00+08:00"),
                             slot_end=s("2024-01-01T10:30:00+08:00"), day=s("2024-01-01"), slot_key=s("1000"),
                             status=s("checked_in"), channel=s("app"), priority={"BOOL": False},
                             counted_open={"BOOL": True}, created_at=s("2024-01-01"), updated_at=s("2024-01-01"),
                             gsi1pk=s(f"APPTQ#{store[0]}#2024-01-01"), gsi1sk=s(f"x#{apt}"), gsi2pk=s(f"APPT#{apt}"),
                             gsi2sk=s("APPT")))
    for i in range(10):
        puts.append(_raw_put(cid, f"H#PLUSORDER#po_hist{i:02d}", order_id=s(f"po_hist{i:02d}"), customer_id=s(cid),
                             plan_id=s("plus_year"), status=s("paid"), amount_fen=n(9900),
                             created_at=s(f"202{i // 2}-01-01T00:00:00+08:00")))
    client, table = client or shared_connection().client, table or settings().table_name
    for k in range(0, len(puts), 25):
        pending: dict[str, Any] = {table: puts[k:k + 25]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


_stores: dict[str, tuple[str, str]] = {}


def _store() -> tuple[str, str]:
    """One store and service per table for the past appointments (created through the service, once)."""
    from bench.appointments import _service
    from chalicelib.core.config import settings

    if settings().table_name not in _stores:
        _stores[settings().table_name] = _service()
    return _stores[settings().table_name]


def _aged(cid: str) -> None:
    _history(cid, store=_store())


def _token_cid(token: str) -> str:
    """The customer of an access token (its ``cid`` claim; the bench signed it, nothing is verified here)."""
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["cid"])


def _with_history(setup: Any) -> Any:
    """``setup``, then five years of history for its member (the state's ``token``)."""
    def aged(s: Session) -> Any:
        st = setup(s)
        _aged(_token_cid(st["token"]))
        return st

    return aged


def _member(s: Session, history: bool) -> dict[str, Any]:
    member = _member_with_points(s, 5_000)
    if history:
        _aged(member["customer_id"])
    benefit_id = _bench_benefit()
    s.ok(Request("GET", "/v1/benefits", token=member["access_token"]))  # definition and tier caches warm
    return {**member, "benefit_id": benefit_id, "reward_id": _reward(per_member_limit=5)}


def _new(s: Session) -> dict[str, Any]:
    return _member(s, False)


def _old(s: Session) -> dict[str, Any]:
    return _member(s, True)


def _get(path: str) -> Any:
    return lambda s, st: Request("GET", path, token=st["access_token"])


def _claim(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/benefits/{st['benefit_id']}/claims", token=st["access_token"],
                   headers={"idempotency-key": s.new_id("bench-claim-")})


def _redeem(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", "/v1/redemptions", {"reward_id": st["reward_id"], "quantity": 1},
                   token=st["access_token"], headers={"idempotency-key": s.new_id("bench-rdm-")})


CASES: list[tuple[str, Any, int, bool]] = [  # name, request, expected status, hot path
    ("GET /v1/me", _get("/v1/me"), 200, True),
    ("GET /v1/me/points", _get("/v1/me/points"), 200, True),
    ("POST /v1/me/check-ins", lambda s, st: Request("POST", "/v1/me/check-ins", token=st["access_token"]), 201, True),
    ("POST /v1/benefits/{id}/claims", _claim, 201, True),
    ("POST /v1/redemptions (in-house)", _redeem, 201, True),
    ("GET /v1/benefits", _get("/v1/benefits"), 200, True),
    ("GET /v1/me/product-requests/supports", _get("/v1/me/product-requests/supports?limit=20"), 200, False),
    ("GET /v1/me/appointments", _get("/v1/me/appointments?limit=20"), 200, False),
    ("GET /v1/me/membership", _get("/v1/me/membership"), 200, False),
]

def _own_cases() -> list[tuple[str, Any, Any, int]]:
    """The hot paths whose setup is another section's (a store and service, a plan, a product request)."""
    from bench import appointments, c2b, membership

    return [("POST /v1/appointments (book)", appointments._setup, appointments._book, 201),
            ("POST /v1/membership/orders", membership._member, membership._order, 201),
            ("POST /v1/product-requests/{id}/supports", c2b._setup, c2b._support, 201)]


def _note(hot: bool, who: str) -> str:
    return ("hot path" if hot else "list") + (": member with 5 years of history" if who == "5y" else "")


HISTORY_SCENARIOS: list[Scenario] = [
    *(Scenario(f"{name} [{who}]", None, request, setup=setup, expect=status, area="history", note=_note(hot, who))
      for name, request, status, hot in CASES for who, setup in (("new", _new), ("5y", _old))),
    *(Scenario(f"{name} [{who}]", None, request, setup=setup if who == "new" else _with_history(setup),
               expect=status, area="history", note=_note(True, who))
      for name, setup, request, status in _own_cases() for who in ("new", "5y")),
]


# --- GET /v1/me over HTTP, side by side ------------------------------------------------------------------------------


@contextlib.contextmanager
def _stack(log_dir: Path) -> Iterator[dict[str, Any]]:
    """``tools.stack.runner`` on free ports; its endpoints (API, DynamoDB Local, table names)."""
    from tools import procs

    ready = log_dir / "ready.json"
    cmd = [sys.executable, "-m", "tools.stack.runner", "--port", "0", "--dynamodb-port", "0", "--sqs-port", "0",
           "--wechat-port", "0", "--ready-file", str(ready), "--log-dir", str(log_dir), "--no-seed"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCAL_", "BENCH_"))}
    with open(log_dir / "local-stack.out", "ab") as out:
        proc = procs.spawn(cmd, cwd=str(REPO_ROOT), env=env, stdout=out)
        try:
            procs.wait_until(ready.exists, timeout=120, proc=proc, what="local stack")
            yield dict(json.loads(ready.read_text(encoding="utf-8")))
        finally:
            procs.stop(proc, timeout=15)


def measure_http(requests: int = 300) -> dict[str, Any]:
    """GET /v1/me of a new member and of a five-year one, alternately on one keep-alive connection each: p50/p95."""
    from bench.http_load import Http, _mp_login
    from bench.stack import dynamodb_client

    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp, _stack(Path(tmp)) as ready:
        table = ready["tables"]["MemberTable"]
        clients = {who: Http(ready["api"]) for who in ("new", "5y")}
        members = {who: _mp_login(http) for who, http in clients.items()}
        _history(members["5y"]["customer_id"], dynamodb_client(ready["dynamodb"]), table)
        times: dict[str, list[float]] = {who: [] for who in clients}
        for n in range(requests + 20):
            for who, http in clients.items():
                started = time.perf_counter()
                status, _body = http.request("GET", "/v1/me", token=members[who]["access_token"])
                elapsed = (time.perf_counter() - started) * 1000
                if status != 200:
                    raise RuntimeError(f"GET /v1/me ({who}): {status}")
                if n >= 20:  # after a warm-up
                    times[who].append(elapsed)
    out: dict[str, Any] = {who: {"p50_ms": percentile(t, 50) or 0.0, "p95_ms": percentile(t, 95) or 0.0,
                                 "requests": len(t)} for who, t in times.items()}
    out["ratio_p50"] = out["5y"]["p50_ms"] / out["new"]["p50_ms"]
    return out


def render_http(data: dict[str, Any]) -> str:
    rows = [[who, data[who]["requests"], f"{data[who]['p50_ms']:.1f}", f"{data[who]['p95_ms']:.1f}"]
            for who in ("new", "5y")]
    return (table(["GET /v1/me (local stack)", "requests", "p50 ms", "p95 ms"], rows)
            + f"\n5-year / new p50: {data['ratio_p50']:.2f} (target <= 1.2)")
