"""Webhooks on DynamoDB Local: events from real stream records (``tools.lambda_emulation.stream_poller`` feeding
``app.notification_dispatcher``), deliveries through the retry queue (``app.retry_worker``, moto's SQS) to the local
receiver (``tools.simulators.webhook_sim``), which verifies each signature with its own code."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core.config import settings
from tests.support.aws import reset_app_caches
from tests.support.phones import new_phone
from tests.support.points_world import PointsWorld
from tests.support.tables import dynamodb_client
from tools.lambda_emulation import stream_poller
from tools.lambda_emulation.sqs_poller import QueuePoller
from tools.simulators import webhook_sim

pytestmark = pytest.mark.integration


def _streams(endpoint: str) -> Any:
    import boto3

    return boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name="ap-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


class Receiver:
    def __init__(self) -> None:
        self.server, _ = webhook_sim.start(port=0)
        self.url = self.server.base_url

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read() or b"null")

    def deliveries(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.control("GET", "/__sim/deliveries")["items"]
        return items


class World:
    def __init__(self, api: Any, sqs: Any, queues: Any, receiver: Receiver) -> None:
        import app as application

        self.api, self.receiver = api, receiver
        self.points = PointsWorld.make(api)
        endpoint = settings().dynamodb_endpoint
        assert endpoint
        self.stream = stream_poller.for_app(dynamodb_client(endpoint), _streams(endpoint), application.app,
                                            settings().table_name)[0]
        self.stream.retry_pause = 0
        self.retry = QueuePoller(sqs, queues["RetryQueue"].url, application.retry_worker,
                                 function_name="member-portal-local-retry_worker", wait_seconds=0)

    def pump(self, rounds: int = 50) -> int:
        """The stream, then the queue, a round at a time, until both are quiet or ``rounds`` ran out (a receiver
        that is down keeps its deliveries coming back: bounded here); how many rounds found work."""
        busy_rounds = 0
        for _ in range(rounds):
            busy = 0
            while self.stream.poll_once():
                busy += 1
            busy += self.retry.poll_once()
            if not busy:
                break
            busy_rounds += 1
        return busy_rounds

    def admin(self, method: str, path: str, body: Any = None, expect: int = 200, token: str | None = None,
              english: bool = True) -> Any:
        status, out, _ = self.api.call(method, path, body, token=token or self.points.admin,
                                       headers={"accept-language": "en"} if english else {})
        assert status == expect, out
        return out

    def register(self, events: list[str], name: str = "crm") -> dict[str, Any]:
        out: dict[str, Any] = self.admin("POST", "/v1/admin/webhooks", {
            "url": f"{self.receiver.url}/hooks/{name}", "events": events, "description": "CRM"}, expect=201)
        return out


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.stop()


@pytest.fixture
def world(api: Any, sqs_queues: Any, sqs_client: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[World]:
    monkeypatch.setenv("WEBHOOK_BACKOFF_BASE_SECONDS", "0")  # the backoff's length is SQS's; here: at once
    monkeypatch.setenv("WEBHOOK_MAX_ATTEMPTS", "40")
    reset_app_caches()
    yield World(api, sqs_client, sqs_queues, receiver)
    reset_app_caches()


def _by_member(received: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in received:
        out.setdefault(r["body"]["customer_id"], []).append(r)
    return out


@pytest.mark.slow
def test_an_endpoint_down_for_a_while_gets_every_event_in_member_order_each_signed(world: World):
    hook = world.register(["member.enrolled", "points.changed"])
    world.receiver.control("PUT", "/__sim/secrets", {"secrets": [hook["secret"]]})
    world.receiver.control("POST", "/__sim/down", {"down": True})
    phones, members = {}, []
    for n in range(2):
        phone = new_phone()
        cid, _ = world.points.member(phone)
        phones[cid] = phone
        members.append(cid)
        for k in range(3):
            world.points.order(f"WH-{n}-{k}", {"customer_id": cid}, 10_000 * (k + 1))
    world.pump(rounds=6)
    refused = world.receiver.control("GET", "/__sim/deliveries")["refused"]
    assert refused >= 6 and world.receiver.deliveries() == []
    # while the first event of each member keeps failing, the later ones wait: only the two heads were tried
    pending = world.admin("GET", f"/v1/admin/webhooks/{hook['webhook_id']}/deliveries?status=pending&limit=100")
    assert len(pending["items"]) == 8
    tried = sorted((d["customer_id"], d["sequence"]) for d in pending["items"] if d["attempts"])
    assert tried == sorted((cid, 1) for cid in members)
    assert all(d["last_status_code"] == 503 for d in pending["items"] if d["attempts"])

    world.receiver.control("POST", "/__sim/down", {"down": False})
    world.pump()
    received = world.receiver.deliveries()
    assert len(received) == 8 and len({r["event_id"] for r in received}) == 8
    assert all(r["verified"] is True for r in received)
    assert all(r["event_id"] == r["body"]["id"] for r in received)
    for cid, mine in _by_member(received).items():
        assert [r["sequence"] for r in mine] == [1, 2, 3, 4]  # in order, no gap, each once
        assert [r["body"]["type"] for r in mine] == ["member.enrolled"] + ["points.changed"] * 3
        assert [r["body"]["data"]["balance_after"] for r in mine[1:]] == [100, 300, 600]
        assert all(phones[cid] not in r["raw"] and phones[cid][-8:] not in r["raw"] for r in mine)
        assert {r["body"]["member_no"] for r in mine} != {None}
        assert set(mine[0]["body"]) == {"id", "type", "occurred_at", "customer_id", "member_no", "sequence", "data"}
    delivered = world.admin("GET", f"/v1/admin/webhooks/{hook['webhook_id']}/deliveries?status=delivered&limit=5")
    assert len(delivered["items"]) == 5 and delivered["next_cursor"]
    rest = world.admin("GET", f"/v1/admin/webhooks/{hook['webhook_id']}/deliveries?status=delivered&limit=5"
                              f"&cursor={delivered['next_cursor']}")
    assert len(rest["items"]) == 3 and rest["next_cursor"] is None
    assert world.admin("GET", f"/v1/admin/webhooks/{hook['webhook_id']}/deliveries?status=pending")["items"] == []


@pytest.mark.slow
def test_a_stream_record_delivered_again_makes_no_second_event(world: World):
    hook = world.register(["points.changed"])
    cid, _ = world.points.member()
    world.points.order("WH-AGAIN", {"customer_id": cid}, 50_000)
    captured: list[dict[str, Any]] = []
    handler = world.stream.handler

    def twice(event: dict[str, Any], context: Any) -> Any:
        captured.extend(event["Records"])
        handler(event, context)
        return handler(event, context)  # the same batch again, as Lambda does after a failure

    world.stream.handler = twice
    world.pump()
    assert captured
    received = world.receiver.deliveries()
    assert [r["body"]["type"] for r in received] == ["points.changed"]
    listed = world.admin("GET", f"/v1/admin/webhooks/{hook['webhook_id']}/deliveries")["items"]
    assert len(listed) == 1 and listed[0]["status"] == "delivered" and listed[0]["attempts"] == 1


@pytest.mark.slow
def test_a_dead_delivery_is_listed_and_its_replay_brings_the_same_event_id(world: World, monkeypatch):
    monkeypatch.setenv("WEBHOOK_MAX_ATTEMPTS", "3")
    reset_app_caches()
    hook = world.register(["points.changed"])
    world.receiver.control("POST", "/__sim/down", {"down": True})
    cid, _ = world.points.member()
    world.points.order("WH-DEAD-1", {"customer_id": cid}, 10_000)
    world.points.order("WH-DEAD-2", {"customer_id": cid}, 20_000)
    world.pump(rounds=20)
    dead = world.admin("GET", f"/v1/admin/webhooks/{hook['webhook_id']}/deliveries?status=dead")["items"]
    assert sorted(d["sequence"] for d in dead) == [1, 2]  # a dead one leaves the line: the next went on (and died)
    assert all(d["attempts"] == 3 and d["last_error"] == "HTTP 503" for d in dead)

    world.receiver.control("POST", "/__sim/down", {"down": False})
    first = min(dead, key=lambda d: d["sequence"])
    out = world.admin("POST", f"/v1/admin/webhooks/{hook['webhook_id']}/deliveries/{first['delivery_id']}/replay",
                      expect=202)
    assert out["status"] == "pending" and out["replays"] == 1 and out["event_id"] == first["event_id"]
    world.pump()
    received = world.receiver.deliveries()
    assert [r["event_id"] for r in received] == [first["event_id"]]
    again = world.admin("GET", f"/v1/admin/webhooks/{hook['webhook_id']}/deliveries?status=delivered")["items"]
    assert [d["delivery_id"] for d in again] == [first["delivery_id"]]
    # a replay of what was delivered sends it once more, the same ID and body
    world.admin("POST", f"/v1/admin/webhooks/{hook['webhook_id']}/deliveries/{first['delivery_id']}/replay",
                expect=202)
    world.pump()
    twice = world.receiver.deliveries()
    assert [r["event_id"] for r in twice] == [first["event_id"]] * 2 and twice[0]["raw"] == twice[1]["raw"]


@pytest.mark.slow
def test_rotation_signs_with_both_secrets_during_the_overlap_and_only_the_new_after(world: World, monkeypatch):
    hook = world.register(["points.changed"])
    old = hook["secret"]
    rotated = world.admin("POST", f"/v1/admin/webhooks/{hook['webhook_id']}/secret-rotations", expect=201)
    new = rotated["secret"]
    assert new != old and rotated["previous_secret_valid_until"]
    cid, _ = world.points.member()
    for secrets in ([old], [new]):  # each secret alone verifies the delivery made during the overlap
        world.receiver.control("POST", "/__sim/reset")
        world.receiver.control("PUT", "/__sim/secrets", {"secrets": secrets})
        world.admin("POST", f"/v1/admin/webhooks/{hook['webhook_id']}/deliveries/x/replay", expect=404)
        world.points.order(f"WH-ROT-{secrets[0][-6:]}", {"customer_id": cid}, 10_000)
        world.pump()
        received = world.receiver.deliveries()
        assert len(received) == 1 and received[0]["verified"] is True
        assert received[0]["signature"].count("v1=") == 2

    monkeypatch.setenv("WEBHOOK_SECRET_OVERLAP_SECONDS", "1")
    reset_app_caches()
    rotated_again = world.admin("POST", f"/v1/admin/webhooks/{hook['webhook_id']}/secret-rotations", expect=201)
    newest = rotated_again["secret"]
    time.sleep(2.1)  # the overlap (1 s here) is over
    assert world.admin("GET", f"/v1/admin/webhooks/{hook['webhook_id']}")["previous_secret_valid_until"] is None
    for secrets, verified in (([new], False), ([newest], True)):
        world.receiver.control("POST", "/__sim/reset")
        world.receiver.control("PUT", "/__sim/secrets", {"secrets": secrets})
        world.points.order(f"WH-AFTER-{secrets[0][-6:]}", {"customer_id": cid}, 10_000)
        world.pump()
        received = world.receiver.deliveries()
        assert len(received) == 1 and received[0]["verified"] is verified
        assert received[0]["signature"].count("v1=") == 1


@pytest.mark.slow
def test_endpoints_are_listed_without_secrets_and_deleted(world: World, capsys: pytest.CaptureFixture[str]):
    import io

    from chalicelib.core.observability import logger

    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)  # the handler holds the stdout of import time
    try:
        hook = world.register(["points.changed"])
        rotated = world.admin("POST", f"/v1/admin/webhooks/{hook['webhook_id']}/secret-rotations", expect=201)
        cid, _ = world.points.member()
        world.points.order("WH-LOG", {"customer_id": cid}, 10_000)
        world.pump()
        listed = world.admin("GET", "/v1/admin/webhooks")["items"]
    finally:
        logger.registered_handler.setStream(previous)
    logged = stream.getvalue() + capsys.readouterr().out
    assert "WebhooksDelivered" in logged  # what was logged is here (the delivery's metric)...
    assert not any(secret in logged for secret in (hook["secret"], rotated["secret"]))  # ...and no secret
    assert [h["webhook_id"] for h in listed] == [hook["webhook_id"]]
    assert "secret" not in listed[0] and "secret" not in world.admin("GET", f"/v1/admin/webhooks/{hook['webhook_id']}")
    assert hook["secret"] not in json.dumps(listed) and rotated["secret"] not in json.dumps(listed)
    world.admin("DELETE", f"/v1/admin/webhooks/{hook['webhook_id']}", expect=204)
    world.admin("GET", f"/v1/admin/webhooks/{hook['webhook_id']}", expect=404)
    assert world.admin("GET", "/v1/admin/webhooks")["items"] == []


@pytest.mark.slow
def test_only_admins_reach_the_webhook_routes(world: World):
    hook = world.register(["points.changed"])
    _cid, member = world.points.member()
    paths = [("GET", "/v1/admin/webhooks", None),
             ("POST", "/v1/admin/webhooks", {"url": "https://crm.example.com/h", "events": ["points.changed"]}),
             ("GET", f"/v1/admin/webhooks/{hook['webhook_id']}", None),
             ("DELETE", f"/v1/admin/webhooks/{hook['webhook_id']}", None),
             ("POST", f"/v1/admin/webhooks/{hook['webhook_id']}/secret-rotations", None),
             ("GET", f"/v1/admin/webhooks/{hook['webhook_id']}/deliveries", None),
             ("POST", f"/v1/admin/webhooks/{hook['webhook_id']}/deliveries/dlv_x/replay", None)]
    for token in (world.points.agent, member):
        for method, path, body in paths:
            out = world.admin(method, path, body, token=token, expect=403)
            assert out["error"]["code"] == "forbidden"
    assert len(world.admin("GET", "/v1/admin/webhooks")["items"]) == 1  # nothing changed


@pytest.mark.slow
@pytest.mark.parametrize(("body", "field"), [
    ({"url": "http://crm.example.com/hook", "events": ["points.changed"]}, "url"),
    ({"url": "https://user:pw@crm.example.com/hook", "events": ["points.changed"]}, "url"),
    ({"url": "not a url", "events": ["points.changed"]}, "url"),
    ({"url": "https://crm.example.com/hook", "events": []}, "events"),
    ({"url": "https://crm.example.com/hook", "events": ["points.spent"]}, "events"),
    ({"url": "https://crm.example.com/hook", "events": ["tier.changed", "tier.changed"]}, "events"),
    ({"url": "https://crm.example.com/hook", "events": "points.changed"}, "events"),
    ({"url": "https://crm.example.com/hook", "events": ["points.changed"], "description": "a\u202eb"}, "description"),
    ({"events": ["points.changed"]}, "url"),
])
def test_a_bad_registration_is_a_400_in_both_languages_and_registers_nothing(world: World, body, field):
    en = world.admin("POST", "/v1/admin/webhooks", body, expect=400)
    zh = world.admin("POST", "/v1/admin/webhooks", body, expect=400, english=False)
    assert en["error"]["code"] == zh["error"]["code"] == "validation_error"
    assert en["error"]["message"] != zh["error"]["message"]
    assert en["error"]["details"][0]["field"].startswith(field)
    assert world.admin("GET", "/v1/admin/webhooks")["items"] == []



@pytest.mark.slow
def test_a_worker_failing_after_its_claim_leaves_the_delivery_to_the_next_copy(world: World, monkeypatch):
    from chalicelib.webhooks import delivery

    monkeypatch.setenv("RETRY_BACKOFF_BASE_SECONDS", "0")  # the retry queue's own backoff: at once here
    world.register(["points.changed"])
    cid, _ = world.points.member()
    world.points.order("WH-CRASH", {"customer_id": cid}, 10_000)
    real_post, calls = delivery.post, []

    def post_once_failing(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionResetError("the worker lost its network mid-attempt")
        return real_post(*args)

    monkeypatch.setattr(delivery, "post", post_once_failing)
    world.pump()
    received = world.receiver.deliveries()
    assert len(calls) == 2 and [r["body"]["type"] for r in received] == ["points.changed"]
    # a copy of the message arriving while another worker holds the attempt does not post (nor drop the delivery)
    world.receiver.control("POST", "/__sim/reset")
    d = world.admin("GET", "/v1/admin/webhooks")["items"][0]
    listed = world.admin("GET", f"/v1/admin/webhooks/{d['webhook_id']}/deliveries")["items"]
    world.admin("POST", f"/v1/admin/webhooks/{d['webhook_id']}/deliveries/{listed[0]['delivery_id']}/replay",
                expect=202)
    claimed = delivery._claim(delivery._delivery(listed[0]["delivery_id"]) or {})
    assert claimed is not None
    with pytest.raises(delivery.AttemptInProgress):
        delivery.handle({"kind": "webhook_delivery", "delivery_id": listed[0]["delivery_id"]})
    assert world.receiver.deliveries() == []
    delivery._release(claimed)
    world.pump()
    assert [r["event_id"] for r in world.receiver.deliveries()] == [listed[0]["event_id"]]


@pytest.mark.slow
def test_a_tier_change_is_told_once_with_what_it_changed_from(world: World):
    world.register(["tier.changed", "points.changed"])
    cid, _ = world.points.member()  # enrolled while an endpoint exists: the webhooks learn its tier (base)
    world.pump()
    world.points.order("WH-TIER", {"customer_id": cid}, 210_000)  # enough for silver
    world.pump()
    world.points.order("WH-TIER-2", {"customer_id": cid}, 1_000)  # still silver: no tier event
    world.pump()
    received = world.receiver.deliveries()
    assert [r["sequence"] for r in received] == [1, 2, 3]
    tier = [r["body"] for r in received if r["body"]["type"] == "tier.changed"]
    assert [t["data"] for t in tier] == [{"from": "base", "to": "silver"}]
    assert sorted(r["body"]["type"] for r in received) == ["points.changed", "points.changed", "tier.changed"]
