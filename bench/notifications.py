"""The notification dispatcher (issue 13): throughput per stream batch and DynamoDB calls per delivered notification
(``python -m bench --only notifications``).

Members (half app members with a verified phone: SMS; half mini-program members holding a grant: a subscription
message to the WeChat simulator) get one notification each, written the way every area writes one (``put_in`` in
a transaction). DynamoDB Local's stream records are read once (``tools.lambda_emulation.stream_poller``) and the app's
``notification_dispatcher`` handler is timed on Lambda-shaped batches of 25 (its ``batch_size``), counting every
DynamoDB call; then the same batches are fed again (a replayed batch) to show what a replay costs.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from bench.report import heading, table
from bench.stack import Backend, use_env


def _tell_wechat(wechat_base_url: str, openid: str) -> None:
    """The member signed in to the mini-program and accepted the subscription: what WeChat (the simulator) knows."""
    import json
    import urllib.request

    for path, body in (("/__sim/users", {"app": "mp", "openid": openid}),
                       ("/__sim/subscriptions", {"openid": openid, "template_ids": ["tmpl_member_notice"]})):
        request = urllib.request.Request(wechat_base_url + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).close()


def _members(count: int, wechat_base_url: str) -> list[tuple[str, str]]:
    from chalicelib.core import clock
    from chalicelib.identity.models import PROFILE_SK, CustomerItem
    from chalicelib.notifications.models import GRANT_PREFIX, GrantItem

    out = []
    for i in range(count):
        cid = f"c_bench{secrets.token_hex(8)}"
        kind = "sms" if i % 2 else "wechat_subscribe"
        profile = CustomerItem(pk=f"CUST#{cid}", sk=PROFILE_SK, customer_id=cid, created_at=clock.iso())
        if kind == "sms":
            profile.phone = f"139{secrets.randbelow(10**8):08d}"
        else:
            openid = f"o{secrets.token_hex(10)}"
            profile.identities = [f"wechat_mp#wx-local-miniprogram#{openid}"]
            _tell_wechat(wechat_base_url, openid)
            GrantItem(pk=f"CUST#{cid}", sk=f"{GRANT_PREFIX}tmpl_member_notice", template_id="tmpl_member_notice",
                      remaining=1).save(add_version_condition=False)
        profile.save(add_version_condition=False)
        out.append((cid, kind))
    return out


def _records(backend: Backend) -> list[dict[str, Any]]:
    import boto3

    from tools.lambda_emulation import stream_poller

    kwargs = {"endpoint_url": backend.dynamodb_endpoint, "region_name": "ap-east-1",
              "aws_access_key_id": "local", "aws_secret_access_key": "local"}
    dynamodb, streams = boto3.client("dynamodb", **kwargs), boto3.client("dynamodbstreams", **kwargs)
    collected: list[dict[str, Any]] = []

    def collect(event: dict[str, Any], _context: Any) -> None:
        collected.extend(event["Records"])

    arn = dynamodb.describe_table(TableName=backend.table_name)["Table"]["LatestStreamArn"]
    poller = stream_poller.StreamPoller(streams, arn, collect, function_name="bench", batch_size=1000)
    while poller.poll_once():
        pass
    return [r for r in collected
            if r["eventName"] == "INSERT" and r["dynamodb"]["NewImage"]["sk"]["S"].startswith("N#")]


def measure(backend: Backend, members: int = 100, batch: int = 25) -> dict[str, Any]:
    import logging

    logging.getLogger("aws_lambda_powertools").setLevel(logging.CRITICAL)
    with use_env({**backend.app_env(), "POWERTOOLS_LOG_LEVEL": "CRITICAL", "POWERTOOLS_METRICS_DISABLED": "true"}):
        import app as application
        from bench.counter import DynamoCounter
        from chalicelib.core import clock, notifications
        from chalicelib.core.calendar import SHANGHAI
        from chalicelib.core.dynamo.connection import shared_connection
        from chalicelib.core.dynamo.tx import Tx
        from tools.lambda_emulation.context import LambdaContext

        clock.set_now(clock.now().astimezone(SHANGHAI).replace(hour=12))  # daytime: nothing held by quiet hours
        try:
            people = _members(members, backend.wechat_base_url)
            for cid, _kind in people:
                tx = Tx()
                notifications.put_in(tx, cid, "refunded", {"transaction_id": f"txn_{secrets.token_hex(6)}",
                                                           "status": "refunded"})
                tx.commit()
            records = _records(backend)
            batches = [records[i:i + batch] for i in range(0, len(records), batch)]
            counter = DynamoCounter(shared_connection().client, capacity=False).attach()
            results = []
            for label in ("first delivery", "replayed batch"):
                started = time.perf_counter()
                failed = 0
                with counter.measure() as tally:
                    for chunk in batches:
                        answer = application.notification_dispatcher(
                            {"Records": chunk}, LambdaContext(function_name="bench-notification_dispatcher"))
                        failed += len((answer or {}).get("batchItemFailures", []))
                elapsed = time.perf_counter() - started
                results.append({"case": label, "batch": batch, "notifications": len(records),
                                "ms_per_batch": elapsed * 1000 / max(1, len(batches)),
                                "notifications_per_s": len(records) / elapsed if elapsed else 0.0,
                                "calls": tally.count, "calls_per_notification": tally.count / max(1, len(records)),
                                "ms_per_call": elapsed * 1000 / max(1, tally.count),
                                "by_operation": tally.by_operation, "failed": failed})
            counter.detach()
        finally:
            clock.set_now(None)
    return {"runs": results, "members": members}


def render(results: dict[str, Any]) -> str:
    rows = [[r["case"], r["batch"], r["notifications"], f"{r['ms_per_batch']:.0f}", f"{r['notifications_per_s']:.0f}",
             f"{r['calls_per_notification']:.1f}", f"{r['ms_per_call']:.0f}", r["failed"],
             ", ".join(f"{k} {v}" for k, v in sorted(r["by_operation"].items()))] for r in results["runs"]]
    text = table(["dispatcher", "batch", "notifications", "ms per batch", "notifications/s", "DynamoDB calls each",
                  "ms per call", "failed", "calls by operation"], rows, "lrrrrrrrl")
    return text + ("\nThe time is DynamoDB Local's (its calls, a transaction above all, take tens of ms here; AWS "
                   "answers in single-digit ms): the calls per notification are the figure that carries over.")


def main() -> int:
    from bench.stack import local_backend

    print(heading("Notification dispatcher: throughput per batch, DynamoDB calls per delivered notification"))
    with local_backend() as backend:
        print(render(measure(backend)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
