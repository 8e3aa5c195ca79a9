"""The audit trail for auditors and admins: read it, verify it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.audit import trail
else:  # loaded when a view first runs (core/lazy.py)
    trail = lazy_module("chalicelib.audit.trail")

api = Api(__name__, "audit")


@api.route("/v1/admin/audit", "GET", auth="auditor", query="AuditQuery", response="AuditPage",
           summary="The staff audit trail by staff member, member or day, newest first (one Query a page)",
           errors=("audit_filter_required", "validation_error"))
def audit_trail(ctx: RequestContext) -> dict:
    """Exactly one of ``actor`` (a staff ID), ``member`` (a customer ID) or ``day``; ``from``/``to`` narrow the
    first two by time."""
    q = ctx.query
    return trail.page(q.actor, q.member, q.day, q.from_, q.to, q.limit, q.cursor)


@api.route("/v1/admin/audit/verify", "GET", auth="auditor", query="VerifyQuery", response="AuditVerification",
           summary="Recompute a day's audit hash chains: the first edited, removed or reordered record",
           errors=("validation_error",))
def verify_audit(ctx: RequestContext) -> dict:
    return trail.verify(ctx.query.day)
