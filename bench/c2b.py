"""C2B product requests (issue 12): DynamoDB calls per endpoint (``C2B_SCENARIOS``) and a hot request: many
members supporting one request at once (``python -m bench --only c2b``).

The hot run is made twice against DynamoDB Local: over real HTTP against the local stack (several worker
processes; supports/s, p50/p99, statuses) and in-process from threads, where botocore's ``before-call`` event counts
every transaction attempt, so conflicts and retries show as transactions per support. Both check that the counts
are exact (support_count = the 201s, demand = the units pledged) and that the threshold was reached once.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.endpoints import Request, Scenario, Session
from bench.report import percentile, table

PROPOSAL = {"title": "bench 冷泡茶", "description": "bench: a product request under load", "category": "bench"}


def _request(threshold: int = 1000) -> str:
    from chalicelib.c2b import polls, requests

    rid = str(requests.propose(f"c_bench_{secrets.token_hex(4)}", PROPOSAL).body["request_id"])
    requests.set_threshold("bench", rid, threshold)
    polls.create("bench", rid, "bench?", ["a", "b", "c"], False)
    return rid


def _setup(s: Session) -> dict[str, Any]:
    rid = _request()
    others = [s.member() for _ in range(3)]
    for o in others:  # a few supports already counted, on some shards
        s.ok(Request("POST", f"/v1/product-requests/{rid}/supports", {"quantity": 2}, token=o["access_token"]), 201)
    return {"rid": rid, "token": s.member()["access_token"]}


def _supported_setup(s: Session) -> dict[str, Any]:
    st = _setup(s)
    s.ok(_support(s, st), 201)
    return st


def _page(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", f"/v1/product-requests/{st['rid']}", token=st["token"])


def _listing(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", "/v1/product-requests?sort=popular&limit=20", token=st["token"])


def _support(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/product-requests/{st['rid']}/supports", {"quantity": 1}, token=st["token"])


def _support_more(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/product-requests/{st['rid']}/supports", {"quantity": 3}, token=st["token"])


def _withdraw(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/product-requests/{st['rid']}/supports/withdraw", token=st["token"])


def _vote(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/product-requests/{st['rid']}/polls/pl1/votes", {"option_id": "o2"}, token=st["token"])


C2B_SCENARIOS: list[Scenario] = [
    Scenario("GET /v1/product-requests/{id}", 1, _page, setup=_setup, area="c2b",
             note="BatchGetItem: the request, its 8 counter shards, its poll shards, my support and my votes"),
    Scenario("GET /v1/product-requests?sort=popular", 1, _listing, setup=_setup, area="c2b",
             note="Query on gsi2 (one page, whatever the number of requests)"),
    Scenario("POST /v1/product-requests/{id}/supports (first)", 2, _support, setup=_setup, expect=201, area="c2b",
             note="BatchGetItem (request, shards, my support) + TransactWriteItems (support, mirror, my shard, "
                  "listings when a shard's listed value moves)"),
    Scenario("POST /v1/product-requests/{id}/supports (repeat, new quantity)", 2, _support_more,
             setup=_supported_setup, area="c2b", note="the same: BatchGetItem + TransactWriteItems"),
    Scenario("POST /v1/product-requests/{id}/supports/withdraw", 2, _withdraw, setup=_supported_setup, area="c2b",
             note="BatchGetItem + TransactWriteItems"),
    Scenario("POST /v1/product-requests/{id}/polls/{poll_id}/votes", 2, _vote, setup=_supported_setup, expect=201,
             area="c2b", note="BatchGetItem + TransactWriteItems (vote, my poll shard, mirror)"),
]


# ------------------------------------------------------------------------------ the hot request, in-process


def _support_items(rid: str) -> list[dict[str, Any]]:
    from chalicelib.c2b.models import SUPPORT_PREFIX, request_pk
    from chalicelib.core.config import settings
    from chalicelib.core.dynamo.connection import shared_connection

    out: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": settings().table_name, "ConsistentRead": True,
                              "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
                              "ExpressionAttributeValues": {":p": {"S": request_pk(rid)}, ":s": {"S": SUPPORT_PREFIX}}}
    while True:
        page = shared_connection().client.query(**kwargs)
        out += page["Items"]
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def hot_in_process(backend: Any, *, members: int = 300, threads: int = 32, threshold: int = 500) -> dict[str, Any]:
    """``members`` distinct members support one request at once from ``threads`` threads (quantity 1-3)."""
    from bench.stack import use_env
    from chalicelib.c2b import reading, supports
    from chalicelib.core.dynamo.connection import shared_connection

    with use_env(backend.app_env()):
        rid = _request(threshold)
        ops: Counter[str] = Counter()
        lock = threading.Lock()

        def count(model: Any, **_: Any) -> None:
            with lock:
                ops[model.name] += 1

        events = shared_connection().client.meta.events
        people = [(f"c_hot_{secrets.token_hex(6)}", 1 + n % 3) for n in range(members)]
        latencies: list[float] = []
        statuses: Counter[str] = Counter()
        pledged = [0]

        def one(person: tuple[str, int]) -> None:
            t0 = time.perf_counter()
            try:
                outcome = supports.support(person[0], rid, person[1]).outcome  # ok: a timed-out commit found
            except Exception as exc:  # a 503 after the retries, counted
                outcome = type(exc).__name__
            with lock:
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[outcome] += 1
                pledged[0] += person[1] if outcome in ("created", "ok") else 0

        events.register("before-call.dynamodb", count)
        started = time.perf_counter()
        try:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(one, people))
        finally:
            events.unregister("before-call.dynamodb", count)
        elapsed = time.perf_counter() - started
        state = reading.read(rid)
        created = statuses.get("created", 0) + statuses.get("ok", 0)
        stored = _support_items(rid)
        return {
            "members": members, "threads": threads, "threshold": threshold, "seconds": elapsed,
            "supports_per_s": created / elapsed if elapsed else None,
            "transactions_per_support": ops["TransactWriteItems"] / created if created else None,
            "reads_per_support": ops["BatchGetItem"] / created if created else None,
            "retries": ops["TransactWriteItems"] - created,
            "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99),
            "statuses": dict(statuses),
            "exact": (state.support_count, state.demand) == (created, pledged[0])
            == (len(stored), sum(int(i["quantity"]["N"]) for i in stored)),
            "status_after": state.request.status if state.request else None,
        }


# ------------------------------------------------------------------------------ the hot request, over HTTP


def hot_over_http(*, members: int = 300, clients: int = 32, threshold: int = 400) -> dict[str, Any]:
    from bench.mall import ADMIN, _Client, stack_under_test

    with stack_under_test() as (base, source):
        admin = _Client(base)
        status, staff = admin.send("POST", "/v1/staff/login", ADMIN)
        if status != 200:
            raise RuntimeError(f"admin sign-in failed ({status})")
        auth = {"Authorization": f"Bearer {staff['access_token']}"}

        def sign_in(_n: int) -> str:
            c = _Client(base)
            try:
                status, tokens = c.send("POST", "/v1/auth/miniprogram/login",
                                        {"code": f"mock:o_c2b_{secrets.token_hex(6)}"})
                if status != 200:
                    raise RuntimeError(f"sign-in failed: {status} {tokens}")
                return str(tokens["access_token"])
            finally:
                c.close()

        with ThreadPoolExecutor(16) as pool:
            tokens = list(pool.map(sign_in, range(members + 1)))
        proposer = tokens.pop()
        status, created = admin.send("POST", "/v1/product-requests", PROPOSAL, {"Authorization": f"Bearer {proposer}"})
        if status != 201:
            raise RuntimeError(f"proposal failed: {status} {created}")
        rid = created["request_id"]
        admin.send("PATCH", f"/v1/admin/product-requests/{rid}", {"threshold": threshold}, auth)
        conns = [_Client(base) for _ in range(clients)]
        lanes = [list(enumerate(tokens))[i::clients] for i in range(clients)]
        gate = threading.Barrier(clients + 1)
        results: list[tuple[float, int, int]] = []
        lock = threading.Lock()

        def lane(conn: Any, mine: list[tuple[int, str]]) -> None:
            gate.wait()
            out = []
            for n, token in mine:
                t0 = time.perf_counter()
                status, _body = conn.send("POST", f"/v1/product-requests/{rid}/supports", {"quantity": 1 + n % 3},
                                          {"Authorization": f"Bearer {token}"})
                out.append(((time.perf_counter() - t0) * 1000, status, 1 + n % 3))
            with lock:
                results.extend(out)

        workers = [threading.Thread(target=lane, args=(c, m), daemon=True) for c, m in zip(conns, lanes, strict=True)]
        for t in workers:
            t.start()
        gate.wait()
        started = time.perf_counter()
        for t in workers:
            t.join(300)
        elapsed = time.perf_counter() - started
        for c in conns:
            c.close()
        _s, page = admin.send("GET", f"/v1/product-requests/{rid}", None, {"Authorization": f"Bearer {proposer}"})
        admin.close()
        ok = [r for r in results if r[1] in (200, 201)]  # distinct members: a 200 is a timed-out commit found
        return {
            "base_url": base, "source": source, "members": members, "clients": clients, "threshold": threshold,
            "seconds": elapsed, "supports_per_s": len(ok) / elapsed if elapsed else None,
            "p50_ms": percentile([r[0] for r in results], 50), "p99_ms": percentile([r[0] for r in results], 99),
            "statuses": dict(Counter(str(r[1]) for r in results)),
            "exact": page.get("support_count") == len(ok) and page.get("demand_quantity") == sum(r[2] for r in ok),
            "status_after": page.get("status"),
        }


def render_hot(data: dict[str, Any]) -> str:
    rows = []
    for where, r in data.items():
        if not isinstance(r, dict):
            continue
        rows.append([where, r["members"], r.get("threads") or r.get("clients"), r["threshold"],
                     f"{r['supports_per_s']:.0f}" if r.get("supports_per_s") else "-",
                     f"{r['transactions_per_support']:.2f}" if r.get("transactions_per_support") else "-",
                     r.get("retries", "-"), f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", r["exact"], r["status_after"],
                     r["statuses"]])
    return table(["run", "members", "clients", "threshold", "supports/s", "tx/support", "retries", "p50 ms",
                  "p99 ms", "exact", "status after", "statuses"], rows)
