"""The table stream's one consumer: each record goes to every area's ``StreamHandler`` that wants it.

``handle_batch(event_dict, context)`` is what ``app.py``'s ``@app.on_dynamodb_record`` handler calls (deployed) and
what ``tools/lambda_emulation/stream_poller.py`` feeds (locally). Powertools' batch processor runs ``handle_record``
on each record and answers ``{"batchItemFailures": [...]}``, so Lambda (``ReportBatchItemFailures``) retries from the
first failed record only; a failed record is offered again to every handler it matches, which is why handlers are
idempotent. A handler's code is imported with the first record it wants (``Area`` references), so a batch of
notifications never loads the segments' code.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from chalicelib.core.area import StreamHandler, installed, resolve

_processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@cache
def handlers() -> tuple[StreamHandler, ...]:
    return tuple(h for area in installed() for h in area.stream_handlers)


def sort_key_of(raw: dict[str, Any]) -> str:
    """The record's sort key: from its keys (a ``REMOVE`` under ``NEW_IMAGE`` carries only those)."""
    ddb = raw.get("dynamodb") or {}
    keys = ddb.get("Keys") or ddb.get("NewImage") or {}
    return str((keys.get("sk") or {}).get("S", ""))


def handle_raw(raw: dict[str, Any]) -> int:
    """Offer one record (Lambda's shape) to the handlers that want it; how many took it."""
    event_name, sk = str(raw.get("eventName", "")), sort_key_of(raw)
    taken = 0
    for handler in handlers():
        if handler.wants(event_name, sk):
            resolve(handler.handle)(raw)
            taken += 1
    return taken


def handle_record(record: Any) -> None:
    handle_raw(record.raw_event)


def handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(process_partial_response(event=event, record_handler=handle_record, processor=_processor,
                                         context=context))
