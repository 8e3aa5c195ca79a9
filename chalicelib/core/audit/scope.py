"""The audit scope of one request: what the record of a staff write says, until the write carries it.

The route layer opens it (``open_for``) around the view of every non-GET route a staff member calls; the writer
(``writer.py``) takes it at the request's first DynamoDB write and puts the record in that write's transaction.
A use case may add what changed (``note(before=..., after=...)``): values pass through ``core.redaction`` (phones
masked, secret-named keys blanked), and a use case never notes a secret.

A request that writes nothing (a refusal, an idempotent replay) leaves no record: nothing happened.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from chalicelib.core.redaction import redact, redact_text

STAFF_ROLES = frozenset({"agent", "supervisor", "admin", "auditor"})
REASON_MAX = 500


@dataclass
class AuditScope:
    actor: str
    role: str
    action: str  # the route's operation ID (its view's name)
    route: str  # "POST /v1/admin/points/adjustments"
    request_id: str
    channel: str | None = None
    target: dict[str, str] = field(default_factory=dict)  # the route's path parameters
    member: str | None = None  # the customer the action is about, if any
    reason: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    written: bool = False  # the record went with a committed write
    busy: bool = False  # the writer is writing it (its own calls are not intercepted)

    def body(self, at: str, day: str, shard: int, seq: int, writes: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "actor": self.actor, "role": self.role, "action": self.action, "route": self.route,
            "target": self.target, "member": self.member, "reason": self.reason, "request_id": self.request_id,
            "channel": self.channel, "at": at, "day": day, "shard": shard, "seq": seq, "writes": writes,
            **({"changes": self.notes} if self.notes else {}),
        }


_current: contextvars.ContextVar[AuditScope | None] = contextvars.ContextVar("audit_scope", default=None)


def current() -> AuditScope | None:
    return _current.get()


def pending() -> AuditScope | None:
    """The open scope whose record is still to be written, if any."""
    scope = _current.get()
    return scope if scope is not None and not scope.written and not scope.busy else None


def clean_reason(reason: Any) -> str | None:
    if not isinstance(reason, str) or not reason.strip():
        return None
    return redact_text(reason.strip())[:REASON_MAX]


@contextmanager
def opened(scope: AuditScope) -> Iterator[AuditScope]:
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def note(**changes: Any) -> None:
    """Say what changed (``before=``, ``after=``...) on the open scope's record; nothing outside a scope."""
    scope = _current.get()
    if scope is not None and not scope.written:
        scope.notes.update({k: redact(v, k) for k, v in changes.items()})


def about(member: str) -> None:
    """Name the member the open scope's action is about, when the route's path and body do not (an approval)."""
    scope = _current.get()
    if scope is not None and not scope.written and not scope.member:
        scope.member = member


def member_of(path_params: Mapping[str, str], body: Any) -> str | None:
    """The member an action is about: the path's ``customer_id``, else the body's."""
    if path_params.get("customer_id"):
        return path_params["customer_id"]
    value = getattr(body, "customer_id", None)
    return value if isinstance(value, str) and value else None
