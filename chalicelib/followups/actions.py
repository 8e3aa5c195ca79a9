"""Agents taking and sharing a case: claim, release, note.

``claim`` (one agent at a time: a conditional write; the same agent claiming again is a no-op, another agent gets
409), ``release`` (the claimant only) and ``add_note`` (any agent). Every action is appended to the case's
``actions`` (who, what, when) in the write that does it. Resolving is ``case_resolution.py``; retrying now is
``agent_retry.py``.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.core import clock
from chalicelib.core.dynamo import keys
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.followups.action_guards import (
    action_entry,
    append_to,
    busy_is_503,
    failed_condition,
    require_case,
    require_holder,
)
from chalicelib.followups.cases import MAX_NOTE, Loaded, case_view, parse_case_id
from chalicelib.followups.intake import transaction_log_keys
from chalicelib.followups.models import CASE_PREFIX, QUEUE_PREFIX, FollowUpCaseItem


def claim(case_id: str, staff_id: str, *, render: bool = True) -> dict[str, Any]:
    """The case page after claiming; with ``render=False`` only ``{"status", "claimed_now"}`` (no reads for a page:
    bulk resolve)."""
    customer_id, transaction_id = parse_case_id(case_id)

    def answer(loaded: Loaded, claimed_now: bool) -> dict[str, Any]:
        return case_view(loaded, staff_id) if render else {"status": "claimed", "claimed_now": claimed_now}

    with transaction_log_keys(transaction_id, case_id=case_id), busy_is_503():
        loaded = require_case(customer_id, transaction_id)
        case = loaded.case
        assert case is not None
        if case.status == "resolved":
            raise AppError("case_already_resolved")
        if case.status == "claimed":
            if case.claimed_by == staff_id:
                return answer(loaded, False)
            raise AppError("case_claimed_by_other")
        at = clock.iso()
        actions = [
            FollowUpCaseItem.status.set("claimed"),
            FollowUpCaseItem.claimed_by.set(staff_id),
            FollowUpCaseItem.claimed_at.set(at),
            FollowUpCaseItem.updated_at.set(at),
            FollowUpCaseItem.gsi2pk.set(f"{QUEUE_PREFIX}claimed"),
            append_to(FollowUpCaseItem.actions,
                      action_entry(staff_id, "claimed", detail="contact revealed to the claimant")),
        ]
        if not case.first_response_at:
            actions.append(FollowUpCaseItem.first_response_at.set(at))
        try:
            case.update(actions=actions, condition=FollowUpCaseItem.status == "open", add_version_condition=False)
        except UpdateError as exc:
            if not failed_condition(exc):
                raise
            again = require_case(customer_id, transaction_id)
            assert again.case is not None
            if again.case.status == "claimed" and again.case.claimed_by == staff_id:
                return answer(again, False)
            raise AppError(
                "case_already_resolved" if again.case.status == "resolved" else "case_claimed_by_other"
            ) from None
        logger.info("case claimed", extra={"staff_id": staff_id})
        loaded.case = case
        return answer(loaded, True)


def release(case_id: str, staff_id: str, note: str | None = None) -> dict[str, Any]:
    """Give a claimed case back to the queue (the claimant only)."""
    customer_id, transaction_id = parse_case_id(case_id)
    with transaction_log_keys(transaction_id, case_id=case_id), busy_is_503():
        loaded = require_case(customer_id, transaction_id)
        case = loaded.case
        assert case is not None
        require_holder(case, staff_id)
        at = clock.iso()
        try:
            case.update(
                actions=[
                    FollowUpCaseItem.status.set("open"),
                    FollowUpCaseItem.claimed_by.remove(),
                    FollowUpCaseItem.claimed_at.remove(),
                    FollowUpCaseItem.updated_at.set(at),
                    FollowUpCaseItem.gsi2pk.set(f"{QUEUE_PREFIX}open"),
                    append_to(FollowUpCaseItem.actions, action_entry(staff_id, "released", note=note)),
                ],
                condition=(FollowUpCaseItem.status == "claimed") & (FollowUpCaseItem.claimed_by == staff_id),
                add_version_condition=False,
            )
        except UpdateError as exc:
            if not failed_condition(exc):
                raise
            raise AppError("case_claimed_by_other") from None
        loaded.case = case
        return case_view(loaded, staff_id)


def add_note(case_id: str, staff_id: str, text: str) -> dict[str, Any]:
    """Add a note (any agent): the case page after it."""
    customer_id, transaction_id = parse_case_id(case_id)
    with transaction_log_keys(transaction_id, case_id=case_id), busy_is_503():
        at = clock.iso()
        note = {"at": at, "by": staff_id, "text": text[:MAX_NOTE]}
        case = FollowUpCaseItem(pk=keys.customer_pk(customer_id), sk=f"{CASE_PREFIX}{transaction_id}")
        try:
            case.update(
                actions=[
                    append_to(FollowUpCaseItem.notes, note),
                    append_to(FollowUpCaseItem.actions, action_entry(staff_id, "note_added")),
                    FollowUpCaseItem.updated_at.set(at),
                ],
                condition=FollowUpCaseItem.pk.exists(),
                add_version_condition=False,
            )
        except UpdateError as exc:
            if not failed_condition(exc):
                raise
            raise AppError("not_found") from None
        return case_view(require_case(customer_id, transaction_id), staff_id)
