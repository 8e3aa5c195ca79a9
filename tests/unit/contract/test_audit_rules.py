"""The audit rule over the route registry: every staff write route gets its record (action, route, target), the routes
that move money or points require a reason, and the hash chain names an edited, removed, reordered or moved record."""

from __future__ import annotations

import json

import pytest

from chalicelib.core.audit import chain
from chalicelib.core.http import routing
from chalicelib.core.http.principal import Principal
from tests.support import contract

STAFF_LEVELS = {"staff", "agent", "supervisor", "auditor", "admin"}
# Routes where money or points move, or a decision on them is taken: their record carries the reason they require.
REASON_REQUIRED = {"post_adjustment", "compensate_member", "approve_request", "reject_request", "refund_membership"}


def _ctx(principal: Principal, body: object = None) -> routing.RequestContext:
    return routing.RequestContext(request_id="req-1", principal=principal, body=body, query=None, headers={},
                                  channel="hotline", client_ip="10.0.0.1", english=False)


STAFF_WRITES = [s for s in contract.routes() if s.auth in STAFF_LEVELS and s.method != "GET"]


@pytest.mark.parametrize("spec", STAFF_WRITES, ids=contract.route_id)
def test_every_staff_write_route_declares_its_audit_action(spec: routing.RouteSpec):
    params = {name: f"v-{name}" for name in contract.path_params(spec.path)}
    scope = routing.audit_scope_of(spec, _ctx(Principal("u", "admin", staff_id="s_1")), params)
    assert scope is not None, f"{contract.route_id(spec)} leaves no audit record"
    assert (scope.action, scope.route, scope.actor, scope.target) == (spec.name, contract.route_id(spec), "s_1", params)
    if spec.name in REASON_REQUIRED:
        assert spec.body is not None and "reason" in spec.body.model_json_schema().get("required", []), spec.name


def test_reads_and_members_leave_no_record():
    get = next(s for s in contract.routes() if s.auth == "agent" and s.method == "GET")
    assert routing.audit_scope_of(get, _ctx(Principal("u", "agent", staff_id="s_1")), {}) is None
    member_write = next(s for s in contract.routes() if s.auth == "member" and s.method == "POST")
    assert routing.audit_scope_of(member_write, _ctx(Principal("c", "member", customer_id="c_1")), {}) is None


def test_the_reason_keeps_no_full_phone_number():
    spec = next(s for s in contract.routes() if s.name == "post_adjustment")

    class Body:
        customer_id, reason = "c_9", "客户 13812345678 来电"

    scope = routing.audit_scope_of(spec, _ctx(Principal("u", "admin", staff_id="s_1"), Body()), {})
    assert scope is not None and (scope.member, scope.reason) == ("c_9", "客户 138****5678 来电")


def _chain(day: str, shard: int, n: int) -> list[dict]:
    out, prev = [], chain.genesis(day, shard)
    for seq in range(1, n + 1):
        body = chain.canonical({"day": day, "shard": shard, "seq": seq, "action": f"a{seq}"})
        digest = chain.record_hash(prev, body)
        out.append({"seq": seq, "prev": prev, "hash": digest, "body": body})
        prev = digest
    return out


def test_the_chain_verifies_and_names_each_kind_of_tampering():
    day, records = "2026-12-07", _chain("2026-12-07", 3, 4)
    head = {"seq": 4, "hash": records[-1]["hash"]}
    assert chain.verify_chain(day, 3, records, head) is None
    edited = [dict(r) for r in records]
    edited[1]["body"] = edited[1]["body"].replace("a2", "zz")
    assert chain.verify_chain(day, 3, edited, head) == chain.Problem(3, 2, "edited")
    assert chain.verify_chain(day, 3, records[:2] + records[3:], head) == chain.Problem(3, 3, "removed")
    assert chain.verify_chain(day, 3, records[:3], head) == chain.Problem(3, 4, "removed")  # the tail
    swapped = [records[0], {**records[2], "seq": 2}, {**records[1], "seq": 3}, records[3]]
    assert chain.verify_chain(day, 3, swapped, head).problem in ("misplaced", "reordered")
    assert chain.verify_chain("2026-12-08", 3, records, head).problem == "misplaced"  # moved to another day
    assert json.loads(records[0]["body"])["seq"] == 1


def test_a_staff_member_keeps_one_shard():
    assert chain.shard_of("s_abc") == chain.shard_of("s_abc")
    assert len({chain.shard_of(f"s_{n}") for n in range(200)}) == chain.SHARDS
