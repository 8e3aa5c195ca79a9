"""The composition root: the Chalice app, its middleware, and every event handler, built from the areas' manifests.

Routes come from each area's blueprints; scheduled jobs and queue handlers are declared here (a few lines each,
delegating), never in a blueprint, so that app-level middleware applies once deployed.
Nothing here creates an AWS client at import: connections are made on first use.

The cyclic garbage collector is paused while the app is imported: everything built at import lives as long as the
process, so a collection then only scans it and frees nothing (one full pass took ~45 ms of a ~100 ms cold-start
share, measured in ``bench/coldstart.py``). At the end, ``gc.freeze()`` sets that import-time heap aside so that the
collections during requests skip it too, and the collector runs again.
"""

from __future__ import annotations

import gc

gc.disable()

import importlib
import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from chalice import Chalice

from chalicelib.areas import AREAS
from chalicelib.core.area import Job, resolve
from chalicelib.core.config import live, settings
from chalicelib.core.errors import wants_english
from chalicelib.core.http import health, routing
from chalicelib.core.lazy import lazy_module
from chalicelib.core.observability import flushing_metrics, logger, metrics, route_area, traced
from chalicelib.identity import merged_tokens

if TYPE_CHECKING:
    from chalicelib.core import stream as table_stream
    from chalicelib.followups import retry_pipeline
    from chalicelib.identity import api_keys
    from chalicelib.partners import registry as partner_keys
else:  # the queue workers' code, loaded by the first batch (an HTTP request never needs it); the integration keys
    retry_pipeline = lazy_module("chalicelib.followups.retry_pipeline")
    api_keys = lazy_module("chalicelib.identity.api_keys")
    partner_keys = lazy_module("chalicelib.partners.registry")
    table_stream = lazy_module("chalicelib.core.stream")


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
app.register_blueprint(health.api.blueprint)
for area in AREAS:
    for module_name in area.blueprints:
        app.register_blueprint(importlib.import_module(module_name).api.blueprint)

routing.configure_auth(verify_token=merged_tokens.verify, verify_api_key=lambda key: api_keys.verify(key),
                       verify_partner_key=lambda key: partner_keys.verify(key))

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
    with flushing_metrics(), traced("request", request_id=request_id):
        try:
            response = get_response(event)
            if response.status_code >= 400 and not _is_envelope(response.body):
                code = NATIVE_ERRORS.get(response.status_code, "internal_error")
                english = wants_english(event.headers.get("accept-language"))
                response = routing.envelope_response(code, request_id, english, headers=dict(response.headers or {}))
            response.headers.setdefault("X-Request-Id", request_id)
            elapsed_ms = (time.perf_counter() - started) * 1000
            metrics.add_metric(name="Latency", unit="Milliseconds", value=elapsed_ms)
            metrics.add_metric(name=f"Latency_{route_area() or 'unrouted'}", unit="Milliseconds", value=elapsed_ms)
            if response.status_code >= 500:
                metrics.add_metric(name="ServerError", unit="Count", value=1)
            return response
        finally:
            logger.remove_keys(["request_id", "channel", "path", "role", "customer_id", "staff_id"])


_retry_processor = BatchProcessor(event_type=EventType.SQS)
_followup_processor = BatchProcessor(event_type=EventType.SQS)


@app.on_sqs_message(queue=settings().retry_queue_name, batch_size=10)
def retry_worker(event):  # type: ignore[no-untyped-def]
    """Redo transactions that failed transiently; failures back off and go back to SQS (at last, to follow-up)."""
    with flushing_metrics(), traced("retry_worker", area="followups"):
        return process_partial_response(
            event=event.to_dict(), record_handler=retry_pipeline.retry_record, processor=_retry_processor,
            context=event.context,
        )


@app.on_sqs_message(queue=settings().followup_queue_name, batch_size=10)
def followup_worker(event):  # type: ignore[no-untyped-def]
    """Turn transactions that ran out of retries into cases on the agents' follow-up queue."""
    with flushing_metrics(), traced("followup_worker", area="followups"):
        return process_partial_response(
            event=event.to_dict(), record_handler=retry_pipeline.followup_record, processor=_followup_processor,
            context=event.context,
        )


# The table's stream ARN is only known once deployed: infra/resources.json replaces this placeholder with
# MemberTable's StreamArn (and adds the areas' record filters and ReportBatchItemFailures); the local stack polls
# DynamoDB Local's stream itself (tools/lambda_emulation/stream_poller.py). The function keeps its first name (its
# alarms and IAM role are named after it); every area's ``stream_handlers`` are served by it.
MEMBER_TABLE_STREAM_ARN = live("MEMBER_TABLE_STREAM_ARN")


@app.on_dynamodb_record(stream_arn=MEMBER_TABLE_STREAM_ARN, batch_size=25, starting_position="LATEST",
                        name="notification_dispatcher")
def notification_dispatcher(event):  # type: ignore[no-untyped-def]
    """The table's stream records to the areas' stream handlers (notifications delivered, member facts kept
    current...); failed records are reported alone."""
    with flushing_metrics(), traced("notification_dispatcher", area="stream"):
        return table_stream.handle_batch(event.to_dict(), event.context)


def _scheduled(job: Job) -> Callable[[Any], Any]:
    """The Lambda handler of one area's job: ``app.<job.name>`` (Chalice names the function by it)."""

    def handler(event: Any) -> Any:
        with flushing_metrics(), traced(job.name, route=job.name, area=job.handler.split(".")[1]):
            run = resolve(job.handler)
            return run(getattr(event, "context", None)) if job.with_context else run()

    handler.__name__ = handler.__qualname__ = job.name
    handler.__doc__ = job.doc
    return handler


for area in AREAS:
    for job in area.jobs:
        globals()[job.name] = app.schedule(job.schedule, name=job.name, description=job.doc[:256])(_scheduled(job))


gc.freeze()  # what the import built lives as long as the process: later collections skip it
gc.enable()
