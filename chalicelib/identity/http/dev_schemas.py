"""Request and response models of ``chalicelib/identity/http/dev.py`` (imported on first use)."""

from __future__ import annotations

from chalicelib.core.http.models import Out, Phone, Query


class OutboxQuery(Query):
    phone: Phone


class OutboxEntry(Out):
    phone: str
    code: str
    sent_at: str


class Outbox(Out):
    items: list[OutboxEntry]
