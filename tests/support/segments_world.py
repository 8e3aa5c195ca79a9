"""The segments and campaigns tests' world on DynamoDB Local: the points world's members and staff, the table's stream
fed to ``app.notification_dispatcher`` (``tools.lambda_emulation.stream_poller``) and the fan-out queue to
``app.retry_worker`` (``tools.lambda_emulation.sqs_poller``), pumped until both are quiet, as the local stack's pollers
do; the clock frozen at 10:00 in Shanghai (outside the default quiet hours). ``make`` is the ``segments_world`` fixture
of ``tests/integration/conftest.py``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.core.config import settings
from chalicelib.core.notifications import NotificationItem
from chalicelib.segments import store
from tests.support.aws import reset_app_caches
from tests.support.clock import at, frozen_clock
from tests.support.points_world import PointsWorld
from tests.support.tables import dynamodb_client
from tools.lambda_emulation import stream_poller
from tools.lambda_emulation.sqs_poller import QueuePoller

ORDERED = {"all": [{"fact": "orders_12m", "op": "gte", "value": 1}]}


def _streams(endpoint: str) -> Any:
    import boto3

    return boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name="ap-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


class SegmentsWorld:
    def __init__(self, api: Any, sqs: Any, queues: Any) -> None:
        import app as application

        self.app, self.api, self.sqs, self.queue_url = application, api, sqs, queues["RetryQueue"].url
        self.points = PointsWorld.make(api)
        endpoint = settings().dynamodb_endpoint
        assert endpoint
        self.poller = stream_poller.for_app(dynamodb_client(endpoint), _streams(endpoint), application.app,
                                            settings().table_name)[0]
        self.poller.retry_pause = 0
        self.retry = QueuePoller(sqs, self.queue_url, application.retry_worker,
                                 function_name="member-portal-local-retry_worker", wait_seconds=0)

    def pump(self, rounds: int = 8) -> None:
        """The stream and the fan-out queue, until both are quiet (what the local stack's pollers do)."""
        for _ in range(rounds):
            busy = 0
            while self.poller.poll_once():
                busy += 1
            while self.retry.poll_once():
                busy += 1
            if not busy:
                return

    def call(self, method: str, path: str, body: Any = None, expect: int = 200, token: str | None = None) -> Any:
        """A staff call (the admin's token unless another is given), in English; asserts the status."""
        status, out, _ = self.api.call(method, path, body, token=token or self.points.admin,
                                       headers={"accept-language": "en"})
        assert status == expect, out
        return out

    admin = call

    def member(self, marketing: bool = True, order: bool = True) -> tuple[str, str]:
        """A member with the marketing consent given or not, and (``order``) one order of 200 yuan."""
        cid, token = self.points.member()
        self.call("PATCH", "/v1/me", {"consents": {"marketing": marketing}}, token=token)
        if order:
            self.points.order(f"CMP-{cid}", {"customer_id": cid}, 20_000)
        return cid, token

    def segment(self, rule: dict[str, Any] | None = None, name: str = "下过单") -> str:
        sid = self.call("POST", "/v1/admin/segments", {"name": name, "rule": rule or ORDERED},
                        expect=201)["segment_id"]
        self.pump()
        return str(sid)

    def campaign(self, sid: str, holdout: int = 0, offer: dict[str, Any] | None = None, **extra: Any) -> str:
        body = {"name": "回归礼", "segment_id": sid, "message": {"title": "好久不见", "body": "送您一张回归礼券"},
                "holdout_percent": holdout, "starts_at": "2026-11-23T09:00:00+08:00",
                "ends_at": "2026-12-07T09:00:00+08:00", **extra}
        if offer:
            body["offer"] = offer
        return str(self.call("POST", "/v1/admin/campaigns", body, expect=201)["campaign_id"])

    def campaign_notes(self, cid: str) -> list[NotificationItem]:
        return [n for n in NotificationItem.query(f"CUST#{cid}", NotificationItem.sk.startswith("N#"))
                if n.kind == "campaign_message"]

    def vouchers(self, token: str) -> list[dict[str, Any]]:
        status, out, _ = self.api.call("GET", "/v1/me/vouchers", token=token)
        assert status == 200, out
        return [v for v in out["items"] if v.get("benefit_id") == "welcome_back" or v.get("name") == "回归礼券"]


def make(api: Any, sqs_queues: Any, sqs_client: Any) -> Iterator[SegmentsWorld]:
    reset_app_caches()
    with frozen_clock(at(2026, 11, 23, 10, 0)):  # 10:00 in Shanghai: outside the default quiet hours
        yield SegmentsWorld(api, sqs_client, sqs_queues)
    reset_app_caches()


def facts_item(customer_id: str, **facts: Any) -> dict[str, Any]:
    """A member's ``FACTS`` item as the stream handler writes it (on the sparse ``facts`` index)."""
    return {"pk": f"CUST#{customer_id}", "sk": store.FACTS_SK, "customer_id": customer_id,
            store.FACTS_ID: customer_id, "ver": 1, "segs": {}, **facts}


def batch_write(items: list[dict[str, Any]]) -> None:
    client = store.client()
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": {k: store.raw(v) for k, v in i.items()}}} for i in items[start:start + 25]]
        while requests:
            out = client.batch_write_item(RequestItems={store.table(): requests})
            requests = out.get("UnprocessedItems", {}).get(store.table(), [])
