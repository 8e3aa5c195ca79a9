"""Queue message handling behind the SQS handlers in ``app.py``.

A message body is JSON with a ``kind``; the area that owns the kind declares its redo in its manifest
(``Area.retry_handlers``) and the follow-up hooks of the kind (``Area.followups``). A message whose handler raises
is reported as a batch item failure, so SQS delivers it again and, after the last attempt, the redrive policy moves
it to the follow-up queue. A message of a kind nobody handles fails the same way: it is never dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from chalicelib.core.area import FollowUpHooks, installed, resolve
from chalicelib.core.observability import logger

Handler = Callable[[dict[str, Any]], None]


class UnknownMessageKind(Exception):
    pass


@cache
def retry_handlers() -> dict[str, Handler]:
    """Message kind -> the area's redo (imported on first use); one dict per process."""
    return {kind: resolve(ref) for area in installed() for kind, ref in area.retry_handlers.items()}


@cache
def followup_hooks() -> dict[str, FollowUpHooks]:
    """Transaction kind -> how the follow-up queue settles, refunds and describes it."""
    return {kind: hooks for area in installed() for kind, hooks in area.followups.items()}


def message_of(record: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(record.body)
    logger.append_keys(transaction_id=body.get("transaction_id"), message_kind=body.get("kind"))
    return body


def handle_retry(record: Any) -> None:
    body = message_of(record)
    handler = retry_handlers().get(str(body.get("kind")))
    if handler is None:
        raise UnknownMessageKind(str(body.get("kind")))
    handler(body)


def handle_followup(record: Any, open_case: Callable[[dict[str, Any]], object]) -> None:
    """Open the case of a follow-up message whose kind some area follows up (``Area.followups``), or hand it to
    the kind's ``exhausted`` hook when the area ends it without a case."""
    body = message_of(record)
    hooks = followup_hooks().get(str(body.get("kind")))
    if hooks is None:
        raise UnknownMessageKind(str(body.get("kind")))
    if hooks.exhausted is not None:
        resolve(hooks.exhausted)(body)
        return
    open_case(body)
