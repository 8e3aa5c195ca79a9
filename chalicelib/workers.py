"""Queue message handling behind the SQS handlers in ``app.py``.

A message body is JSON with a ``kind``; each area registers the handler of its kinds. A message
whose handler raises is reported as a batch item failure, so SQS delivers it again and, after the
last attempt, the redrive policy moves it to the follow-up queue. A message of a kind nobody
handles fails the same way: it is never dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.observability import logger

Handler = Callable[[dict[str, Any]], None]
RETRY_HANDLERS: dict[str, Handler] = {}
FOLLOWUP_HANDLERS: dict[str, Handler] = {}


class UnknownMessageKind(Exception):
    pass


def _dispatch(handlers: dict[str, Handler], record: Any) -> None:
    body = json.loads(record.body)
    kind = body.get("kind")
    handler = handlers.get(kind)
    logger.append_keys(transaction_id=body.get("transaction_id"), message_kind=kind)
    if handler is None:
        raise UnknownMessageKind(str(kind))
    handler(body)


def handle_retry(record: Any) -> None:
    _dispatch(RETRY_HANDLERS, record)


def handle_followup(record: Any) -> None:
    _dispatch(FOLLOWUP_HANDLERS, record)
