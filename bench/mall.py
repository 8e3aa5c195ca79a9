"""Points mall (issue 4): DynamoDB calls of a redemption, its replay and a flash-sale run (``MALL_SCENARIOS``), and
the flash-sale figures over HTTP against the local stack (``python -m bench --only flash``).

Flash sale over HTTP: a reward with little stock (``stock``, spread over ``shards``) meets ``buyers`` members, each
tapping once, from ``clients`` threads that each hold one plain ``http.client`` connection and fire
together. Reported per run: requests per second
(every answer, 201 or 409), redemptions per second (units sold over the time to sell out), p50/p99 latency,
sold, oversells (sold beyond the stock: must be 0), undersold (stock left while buyers were refused: 0 expected),
the stock the catalogue shows afterwards, and the statuses.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.endpoints import Request, Scenario, Session
from bench.report import percentile, table
from bench.stack import REPO_ROOT

# --------------------------------------------------------------------------------- DynamoDB calls (in-process)


def _reward(**fields: Any) -> str:
    from chalicelib.mall import rewards

    spec = {"name": "bench reward", "points_cost": 10, "stock": 10_000, "fulfillment": "in_house", "staff_id": "bench",
            **fields}
    return rewards.create_reward(**spec)


def _member_with_points(s: Session, points_held: int = 1_000) -> dict[str, Any]:
    from chalicelib.points import earn_and_spend

    member = s.member()
    earn_and_spend.earn(member["customer_id"], points_held, kind="adjustment", reference="bench")
    return member


def _redemption_setup(s: Session) -> dict[str, Any]:
    member = _member_with_points(s)
    return {"token": member["access_token"], "reward_id": _reward(per_member_limit=5), "key": secrets.token_hex(8)}


def _redeem(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", "/v1/redemptions", {"reward_id": st["reward_id"], "quantity": 1}, token=st["token"],
                   headers={"idempotency-key": st["key"]})


def _replay_setup(s: Session) -> dict[str, Any]:
    st = _redemption_setup(s)
    s.ok(_redeem(s, st), 201)
    return st


def _partner_setup(s: Session) -> dict[str, Any]:
    st = _redemption_setup(s)
    st["reward_id"] = _reward(fulfillment="partner")
    return st


def _flash_setup(s: Session) -> dict[str, Any]:
    from chalicelib.mall import rewards

    reward_id = _reward(stock=10, stock_shards=4, name="bench flash")
    rewards.definition(reward_id)
    return {"reward_id": reward_id, "buyers": [_member_with_points(s, 100)["customer_id"] for _ in range(40)]}


def _flash_run(s: Session, st: dict[str, Any]) -> dict[str, int]:
    """40 buyers race for 10 units (4 shards) in-process: every DynamoDB call of the run, retries included."""
    from chalicelib.core.errors import AppError
    from chalicelib.core.http.routing import as_reply
    from chalicelib.mall import redeeming

    barrier = threading.Barrier(len(st["buyers"]))

    def buy(cid: str) -> int:
        barrier.wait(timeout=30)
        try:
            return as_reply(redeeming.redeem(cid, st["reward_id"], 1, secrets.token_hex(8))).status or 0
        except AppError as err:
            return err.status

    with ThreadPoolExecutor(len(st["buyers"])) as pool:
        statuses = list(pool.map(buy, st["buyers"]))
    sold = statuses.count(201)
    if sold != 10 or statuses.count(409) != 30:
        raise RuntimeError(f"flash-sale run sold {sold} of 10: {sorted(set(statuses))}")
    return {"sold": sold}


MALL_SCENARIOS: list[Scenario] = [
    Scenario("POST /v1/redemptions (in-house)", 3, _redeem, setup=_redemption_setup, expect=201, area="mall",
             note="BatchGetItem (idempotency record, per-member count) + Query (member, state, buckets) + "
                  "TransactWriteItems"),
    Scenario("POST /v1/redemptions (replay)", 1, _redeem, setup=_replay_setup, expect=201, area="mall",
             note="answered from the idempotency record's BatchGetItem"),
    Scenario("POST /v1/redemptions (partner, fulfilled)", None, _redeem, setup=_partner_setup, expect=201,
             area="mall", note="Query + TransactWriteItems, the partner, then a TransactWriteItems recording the "
                               "outcome; the simulated partner adds a GetItem of its fault rate (cached 1 s, local)"),
    Scenario("flash-sale run: 40 buyers, 10 units, 4 shards (whole run)", None, direct=_flash_run,
             setup=_flash_setup, area="mall",
             note="every call of 40 simultaneous redemptions: 10 sold, 30 out_of_stock, retries included"),
]


# --------------------------------------------------------------------------------- flash sale over HTTP

INTEGRATION_KEY = "local-integration-key"
ADMIN = {"username": "admin", "password": "admin-local-pass"}


@contextlib.contextmanager
def _seeded_local_stack(log_dir: Path) -> Iterator[str]:
    """The local stack on free ports, seeded (staff, integration key, catalogue)."""
    from tools import procs

    ready = log_dir / "ready.json"
    cmd = [
        sys.executable, "-m", "tools.stack.runner",
        "--port", "0", "--dynamodb-port", "0", "--sqs-port", "0", "--wechat-port", "0",
        "--ready-file", str(ready), "--log-dir", str(log_dir),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCAL_", "BENCH_"))}
    env["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    with open(log_dir / "local-stack.out", "ab") as out:
        proc = procs.spawn(cmd, cwd=str(REPO_ROOT), env=env, stdout=out)
        try:
            procs.wait_until(ready.exists, timeout=180, proc=proc, what="local stack")
            yield str(json.loads(ready.read_text(encoding="utf-8"))["api"])
        finally:
            procs.stop(proc, timeout=15)


@contextlib.contextmanager
def stack_under_test() -> Iterator[tuple[str, str]]:
    given = os.environ.get("BENCH_BASE_URL")
    if given:
        yield given.rstrip("/"), "BENCH_BASE_URL"
        return
    with tempfile.TemporaryDirectory(prefix="bench-flash-") as tmp, _seeded_local_stack(Path(tmp)) as base:
        yield base, "tools.stack.runner (started on free ports, seeded)"


def _prepare_buyers(base: str, count: int, points_each: int) -> list[str]:
    """``count`` members signed in through the mini-program route, each credited ``points_each`` by an order."""
    local = threading.local()
    opened: list[_Client] = []

    def one(_i: int) -> str:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = _Client(base)
            opened.append(client)
        tag = secrets.token_hex(6)
        status, tokens = client.send("POST", "/v1/auth/miniprogram/login", {"code": f"mock:o_flash_{tag}"})
        if status != 200:
            raise RuntimeError(f"buyer sign-in failed: {status} {tokens}")
        order = {"order_no": f"FLASH-{tag}", "customer": {"customer_id": tokens["customer_id"]},
                 "amount_fen": points_each * 100, "channel": "store", "paid_at": datetime.now(UTC).isoformat()}
        status, body = client.send("POST", "/v1/integrations/orders", order, {"X-Api-Key": INTEGRATION_KEY})
        if status != 201:
            raise RuntimeError(f"buyer points failed: {status} {body}")
        return str(tokens["access_token"])

    try:
        with ThreadPoolExecutor(16) as pool:
            return list(pool.map(one, range(count)))
    finally:
        for client in opened:
            client.close()


class _Client:
    """One keep-alive connection that can send the headers a redemption needs."""

    def __init__(self, base: str) -> None:
        import http.client
        from urllib.parse import urlsplit

        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
        self.prefix = parts.path.rstrip("/")

    def send(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        self.conn.request(method, self.prefix + path, body=json.dumps(body).encode() if body is not None else None,
                          headers=hdrs)
        response = self.conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None

    def close(self) -> None:
        self.conn.close()


def flash_run(base: str, *, stock: int, shards: int, buyers: list[str], clients: int) -> dict[str, Any]:
    admin = _Client(base)
    status, tokens = admin.send("POST", "/v1/staff/login", ADMIN)
    if status != 200:
        raise RuntimeError(f"admin sign-in failed ({status}); the stack must be seeded")
    status, created = admin.send("POST", "/v1/admin/rewards",
                                 {"name": f"bench flash {shards} shards", "points_cost": 10, "stock": stock,
                                  "stock_shards": shards, "fulfillment": "in_house"},
                                 {"Authorization": f"Bearer {tokens['access_token']}"})
    if status != 201:
        raise RuntimeError(f"reward not created: {status} {created}")
    reward_id = created["reward_id"]
    conns = [_Client(base) for _ in range(clients)]
    for c in conns:
        c.send("GET", f"/v1/rewards/{reward_id}")  # opens the connection, warms the definition cache
    lanes = [buyers[i::clients] for i in range(clients)]
    gate = threading.Barrier(clients + 1)
    results: list[tuple[float, float, int, str]] = []  # (sent, answered, status, code)
    lock = threading.Lock()

    def lane(conn: _Client, tokens_: list[str]) -> None:
        gate.wait()
        mine = []
        for token in tokens_:
            t0 = time.perf_counter()
            status, body = conn.send("POST", "/v1/redemptions", {"reward_id": reward_id, "quantity": 1},
                                     {"Authorization": f"Bearer {token}", "Idempotency-Key": secrets.token_hex(12)})
            code = body["error"]["code"] if status >= 400 and isinstance(body, dict) and "error" in body else ""
            mine.append((t0, time.perf_counter(), status, code))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=lane, args=(c, t), daemon=True) for c, t in zip(conns, lanes, strict=True)]
    for t in threads:
        t.start()
    gate.wait()
    started = time.perf_counter()
    for t in threads:
        t.join(300)
    elapsed = time.perf_counter() - started
    for c in conns:
        c.close()
    sold_at = [done - started for _t0, done, status, _c in results if status == 201]
    sold = len(sold_at)
    latencies = [(done - t0) * 1000 for t0, done, _s, _c in results]
    time.sleep(2.2)  # the catalogue's stock figure is cached for two seconds
    _status, view = admin.send("GET", f"/v1/rewards/{reward_id}")
    admin.close()
    statuses: dict[str, int] = {}
    for _t0, _d, status, code in results:
        key = f"{status} {code}".strip()
        statuses[key] = statuses.get(key, 0) + 1
    sell_out = max(sold_at) if sold_at else None
    return {
        "stock": stock,
        "shards": shards,
        "buyers": len(buyers),
        "clients": clients,
        "requests": len(results),
        "seconds": elapsed,
        "requests_per_s": len(results) / elapsed if elapsed else None,
        "sold": sold,
        "sell_out_s": sell_out,
        "redemptions_per_s": sold / sell_out if sell_out else None,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies) if latencies else None,
        "oversells": max(0, sold - stock),
        "undersold": max(0, stock - sold) if len(buyers) >= stock else None,
        "stock_shown_after": view.get("stock_remaining") if isinstance(view, dict) else None,
        "statuses": statuses,
    }


def measure_flash(stock: int = 100, buyers: int = 500, clients: int = 32,
                  shard_counts: tuple[int, ...] = (1, 16)) -> dict[str, Any]:
    with stack_under_test() as (base, source):
        tokens = _prepare_buyers(base, buyers + 50, points_each=10 * len(shard_counts))
        flash_run(base, stock=10, shards=4, buyers=tokens[-50:], clients=min(clients, 16))  # warm-up, not reported
        tokens = tokens[:-50]
        runs = [flash_run(base, stock=stock, shards=k, buyers=tokens, clients=clients) for k in shard_counts]
    return {"base_url": base, "source": source, "runs": runs}


def render_flash(data: dict[str, Any]) -> str:
    rows = []
    for r in data["runs"]:
        rows.append([
            r["shards"], r["stock"], r["buyers"], r["clients"],
            f"{r['requests_per_s']:.0f}" if r["requests_per_s"] else "-",
            f"{r['redemptions_per_s']:.0f}" if r["redemptions_per_s"] else "-",
            *(f"{r[k]:.1f}" if r[k] is not None else "-" for k in ("p50_ms", "p99_ms", "max_ms")),
            r["sold"], r["oversells"], r["undersold"], r["stock_shown_after"],
        ])
    out = f"against {data['base_url']} ({data['source']}); one keep-alive connection per client, all start together\n"
    out += table(
        ("shards", "stock", "buyers", "clients", "req/s", "sold/s", "p50 ms", "p99 ms", "max ms", "sold",
         "oversells", "undersold", "stock after"),
        rows, align="rrrrrrrrrrrrr",
    )
    for r in data["runs"]:
        out += f"\n  {r['shards']} shard(s): {r['statuses']}; sold out after {r['sell_out_s'] or 0:.2f} s"
    out += ("\nreq/s: every answer (201 sold, 409 out_of_stock) over the run; sold/s: units sold over the time to sell"
            "\n  out. DynamoDB Local is one process without partitions: shards matter here for transaction conflicts,"
            "\n  in AWS for the per-partition write limit (see the README)")
    return out
