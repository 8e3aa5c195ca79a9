"""The Chalice application: middleware, route blueprints and every event handler.

Event handlers live here (not in blueprints) so that app-level middleware applies once deployed.
Nothing here creates an AWS client at import: connections are made on first use.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from chalice import Chalice, Cron, Rate

from chalicelib.api import (
    admin_benefits,
    admin_points,
    admin_rewards,
    agent_claims,
    agent_followups,
    agent_members,
    auth,
    benefits,
    dev,
    dev_faults,
    health,
    integrations,
    me,
    member_notifications,
    points,
    redemptions,
    rewards,
    routing,
    staff,
)
from chalicelib.errors import wants_english
from chalicelib.observability import annotate, logger, metrics
from chalicelib.services import api_keys, benefits_birthday, followup_pipeline, followup_redemptions, points_jobs


class MemberPortalApp(Chalice):
    """Chalice keeps the request being served on the app object. Lambda serves one request at a time
    per process, but ``chalice local`` serves each request on its own thread: keep it per thread, or
    concurrent requests on the local stack read each other's headers and bodies."""

    _per_thread = threading.local()

    @property  # type: ignore[override]
    def current_request(self) -> Any:
        return getattr(self._per_thread, "request", None)

    @current_request.setter
    def current_request(self, value: Any) -> None:
        self._per_thread.request = value


# configure_logs=False: Chalice would otherwise take over the "member-portal" logger (the Powertools
# logger of the same name), set it to ERROR and add a plain-text handler.
app = MemberPortalApp(app_name="member-portal", configure_logs=False)
app.experimental_feature_flags.update(["BLUEPRINTS"])
for module in (health, auth, staff, me, dev, points, integrations, agent_claims, admin_points, rewards, redemptions,
               admin_rewards, dev_faults, benefits, admin_benefits):
    app.register_blueprint(module.api.blueprint)
# Follow-up of failed transactions: the agents' cases and 360 view, the members' notifications.
for module in (agent_followups, agent_members, member_notifications):
    app.register_blueprint(module.api.blueprint)

routing.api_key_verifier = api_keys.verify
followup_pipeline.install()  # count retries enqueued
followup_redemptions.register()  # redemptions whose fulfilment keeps failing become cases

# Chalice answers some requests before any view runs (405, 415, unknown JSON); their bodies are
# rewritten into our envelope here so every error looks the same to clients.
NATIVE_ERRORS = {400: "validation_error", 403: "forbidden", 404: "route_not_found", 405: "method_not_allowed",
                 413: "payload_too_large", 415: "unsupported_media_type", 500: "internal_error"}


def _is_envelope(body: object) -> bool:
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict)


@app.middleware("http")
def request_context(event, get_response):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    request_id = routing.request_id_of(event)
    logger.append_keys(request_id=request_id, channel=event.headers.get("x-channel"), path=event.path)
    annotate(request_id=request_id)
    try:
        response = get_response(event)
        if response.status_code >= 400 and not _is_envelope(response.body):
            code = NATIVE_ERRORS.get(response.status_code, "internal_error")
            english = wants_english(event.headers.get("accept-language"))
            response = routing.envelope_response(code, request_id, english, headers=dict(response.headers or {}))
        response.headers.setdefault("X-Request-Id", request_id)
        metrics.add_metric(name="Latency", unit="Milliseconds", value=(time.perf_counter() - started) * 1000)
        if response.status_code >= 500:
            metrics.add_metric(name="ServerError", unit="Count", value=1)
        return response
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()
        metrics.clear_metrics()
        logger.remove_keys(["request_id", "channel", "path", "role", "customer_id", "staff_id"])


_retry_processor = BatchProcessor(event_type=EventType.SQS)
_followup_processor = BatchProcessor(event_type=EventType.SQS)


@app.on_sqs_message(queue=os.environ.get("RETRY_QUEUE_NAME", "member-portal-retry"), batch_size=10)
def retry_worker(event):  # type: ignore[no-untyped-def]
    """Redo transactions that failed transiently; failures back off and go back to SQS (at last, to follow-up)."""
    with followup_pipeline.flushing_metrics():
        return process_partial_response(
            event=event.to_dict(), record_handler=followup_pipeline.retry_record, processor=_retry_processor,
            context=event.context,
        )


@app.on_sqs_message(queue=os.environ.get("FOLLOWUP_QUEUE_NAME", "member-portal-followup"), batch_size=10)
def followup_worker(event):  # type: ignore[no-untyped-def]
    """Turn transactions that ran out of retries into cases on the agents' follow-up queue."""
    with followup_pipeline.flushing_metrics():
        return process_partial_response(
            event=event.to_dict(), record_handler=followup_pipeline.followup_record, processor=_followup_processor,
            context=event.context,
        )


@app.schedule(Rate(1, unit=Rate.MINUTES))
def outbox_sweeper(event):  # type: ignore[no-untyped-def]
    """Every minute: send the retry messages whose send failed (the transaction waits in the outbox meanwhile), and
    open the cases of follow-up messages that ended in the follow-up dead-letter queue."""
    with followup_pipeline.flushing_metrics():
        return followup_pipeline.scheduled_sweep()


@app.schedule(Cron(10, 16, "*", "*", "?", "*"))
def expire_points_job(event):  # type: ignore[no-untyped-def]
    """Daily at 00:10 Asia/Shanghai (16:10 UTC): expire due points, apply due tier evaluations."""
    return points_jobs.run_daily()


@app.schedule(Cron(20, "*", "*", "*", "?", "*"))
def birthday_benefits_job(event):  # type: ignore[no-untyped-def]
    """Hourly at :20: birthday benefits for members whose birthday month it is (Shanghai), once a year each."""
    return benefits_birthday.run(getattr(event, "context", None))
