"""Request and response models of ``chalicelib/audit/http/admin.py`` (imported on first use)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chalicelib.core.http.models import Day, Out, PageQuery, Query


class AuditQuery(PageQuery):
    actor: str | None = Field(default=None, max_length=64, description="a staff ID: everything they did")
    member: str | None = Field(default=None, max_length=64, description="a customer ID: everything done to them")
    day: Day | None = Field(default=None, description="a Shanghai day (YYYY-MM-DD): all of it")
    from_: str | None = Field(default=None, alias="from", max_length=40,
                              description="from this day (YYYY-MM-DD, Shanghai) or instant (ISO 8601 with offset)")
    to: str | None = Field(default=None, max_length=40, description="up to this day (inclusive) or instant")


class VerifyQuery(Query):
    day: Day = Field(description="the Shanghai day (YYYY-MM-DD) whose chains to verify")


class AuditWrite(Out):
    op: str
    key: str


class AuditRecordOut(Out):
    record_id: str
    actor: str
    role: str
    action: str
    route: str
    target: dict[str, str]
    member: str | None = None
    reason: str | None = None
    request_id: str
    channel: str | None = None
    at: str
    writes: list[AuditWrite]
    changes: dict[str, Any] | None = None
    hash: str


class AuditPage(Out):
    items: list[AuditRecordOut]
    next_cursor: str | None = None


class AuditBreak(Out):
    chain: int
    seq: int
    problem: str = Field(description="edited | misplaced | removed | reordered")


class AuditVerification(Out):
    day: str
    ok: bool
    records: int
    chains: int
    first_bad: AuditBreak | None = None


class Audit360(Out):
    audit_trail: list[AuditRecordOut] = Field(description="the latest staff actions on this member, newest first")
