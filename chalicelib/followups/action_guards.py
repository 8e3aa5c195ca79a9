"""What every agent action on a case shares: its audit entry, the case it needs, the claim it needs, and
DynamoDB throttling answered as 503."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from chalicelib.core import clock
from chalicelib.core.dynamo import retry
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.followups.cases import Loaded, _load
from chalicelib.followups.models import FollowUpCaseItem


def action_entry(staff_id: str, action: str, **detail: Any) -> dict[str, Any]:
    """One line of the case's ``actions``: who did what when (details that are None left out)."""
    return {"at": clock.iso(), "by": staff_id, "action": action, **{k: v for k, v in detail.items() if v is not None}}


def append_to(attribute: Any, entry: dict[str, Any]) -> Any:
    """An update action appending ``entry`` to a list attribute (created when missing)."""
    return attribute.set((attribute | []).append([entry]))


def require_case(customer_id: str, transaction_id: str) -> Loaded:
    loaded = _load(customer_id, transaction_id)
    if loaded.case is None:
        raise AppError("not_found")
    return loaded


def require_holder(case: FollowUpCaseItem, staff_id: str) -> None:
    if case.status == "resolved":
        raise AppError("case_already_resolved")
    if case.status != "claimed":
        raise AppError("case_not_claimed")
    if case.claimed_by != staff_id:
        raise AppError("case_claimed_by_other")


def failed_condition(exc: Exception) -> bool:
    """Whether a single-item write failed on its condition (not on throttling or anything else)."""
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


@contextlib.contextmanager
def busy_is_503() -> Iterator[None]:
    """DynamoDB throttling (after the SDK's own retries) is 503 with Retry-After: safe to repeat, nothing half-done."""
    try:
        yield
    except AppError:
        raise
    except Exception as exc:
        if retry.is_throttled(exc):
            logger.warning("DynamoDB throttled an agent action", exc_info=True)
            raise AppError("service_unavailable", retry_after=1) from None
        raise
