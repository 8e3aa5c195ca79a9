"""A copy of the member's data (PIPL Art. 45): asked for with ``POST /v1/me/exports``, built by the retry queue's
worker from the personal-data registry (``bundle.build``), kept 7 days.

One open export at a time: ``M#PRIVACY.open_export`` is set, on condition it is absent, in the request's
transaction, with the export's item, the idempotency record and the outbox entry of the build (``core.retry``: a
build that keeps failing ends as an agent's follow-up case). The worker writes the bundle in slices (zlib JSON under
DynamoDB's item size limit) and clears ``open_export`` in one transaction; a second delivery of the message finds the
export ready and does nothing. Log lines name the export and the customer ID, never what the bundle holds.
"""

from __future__ import annotations

import json
import secrets
import zlib
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.core import clock, idempotency
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.core.dynamo.member_layout import newest
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result, accepted
from chalicelib.core.retry import outbox
from chalicelib.core.retry.transactions import Transaction, TransactionItem, transaction_key
from chalicelib.privacy import bundle
from chalicelib.privacy.models import (
    EXPORT_PART_PREFIX,
    EXPORT_PREFIX,
    STATE_SK,
    ExportItem,
    ExportPartItem,
    PrivacyStateItem,
)

KIND = "privacy_export"
KEEP_DAYS = 7
PART_BYTES = 300_000
SCOPE = "POST /v1/me/exports"


def view(item: ExportItem) -> dict[str, Any]:
    status = item.status
    if status == "ready" and item.expires_at and clock.parse(item.expires_at) <= clock.now():
        status = "expired"
    return {"export_id": item.export_id, "status": status, "ready_at": item.ready_at, "expires_at": item.expires_at}


def request(customer_id: str, idempotency_key: str | None) -> Result:
    """``POST /v1/me/exports``: 202 ``preparing``; 409 ``export_in_progress`` while another is being prepared."""
    req = idempotency.request(customer_pk(customer_id), SCOPE, idempotency_key, {})
    stored = idempotency.get(req)
    if stored is not None:
        return idempotency.replay_response(stored)
    export_id = "exp_" + secrets.token_hex(8)
    at = clock.iso()
    item = ExportItem(pk=customer_pk(customer_id), sk=EXPORT_PREFIX + export_id, export_id=export_id,
                      status="preparing", requested_at=at)
    body = view(item)
    txn = Transaction(transaction_id=f"export_{export_id}", customer_id=customer_id, kind=KIND, reference=export_id,
                      payload={"export_id": export_id})
    tx = Tx()
    tx.update("state", PrivacyStateItem(pk=customer_pk(customer_id), sk=STATE_SK),
              [PrivacyStateItem.open_export.set(export_id), PrivacyStateItem.updated_at.set(at)],
              condition=PrivacyStateItem.open_export.does_not_exist())
    tx.put("export", item, ExportItem.pk.does_not_exist())
    outbox.retry_port().record_in(tx, txn, status="pending")
    idempotency.record_in(tx, req, "accepted", body)
    try:
        tx.commit()
    except TxCancelled as exc:
        if (replayed := idempotency.replay_if_recorded(req, exc)) is not None:
            return replayed
        if "state" in exc.failed:
            raise AppError("export_in_progress") from None
        raise
    outbox.retry_port().enqueue(txn)
    logger.info("export requested", extra={"customer_id": customer_id, "export_id": export_id})
    return accepted(body)


def _load(customer_id: str, export_id: str) -> ExportItem:
    try:
        return ExportItem.get(customer_pk(customer_id), EXPORT_PREFIX + export_id, consistent_read=True)
    except DoesNotExist:
        raise AppError("not_found") from None


def status(customer_id: str, export_id: str) -> dict[str, Any]:
    return view(_load(customer_id, export_id))


def data(customer_id: str, export_id: str) -> dict[str, Any]:
    """The bundle: 409 ``export_not_ready`` while preparing, 410 ``export_expired`` after 7 days."""
    shown = view(_load(customer_id, export_id))
    if shown["status"] == "preparing":
        raise AppError("export_not_ready")
    if shown["status"] == "expired":
        raise AppError("export_expired")
    parts = newest(customer_id, f"{EXPORT_PART_PREFIX}{export_id}#", 1000, consistent=True)
    blob = b"".join(ExportPartItem.from_raw_data(raw).data for raw in sorted(parts, key=lambda r: r["sk"]["S"]))
    return json.loads(zlib.decompress(blob))  # type: ignore[no-any-return]


def build(message: dict[str, Any]) -> None:
    """The retry handler of ``privacy_export``: build the bundle and mark the export ready (idempotent)."""
    customer_id, export_id = message["customer_id"], message["export_id"]
    item = _load(customer_id, export_id)
    if item.status != "preparing":
        return
    now = clock.now()
    content = {"export_id": export_id, "customer_id": customer_id, "generated_at": clock.iso(now),
               "areas": bundle.build(customer_id)}
    blob = zlib.compress(json.dumps(content, ensure_ascii=False, sort_keys=True).encode(), 6)
    slices = [blob[i:i + PART_BYTES] for i in range(0, len(blob), PART_BYTES)] or [b""]
    expires = now + timedelta(days=KEEP_DAYS)
    ttl = int(expires.timestamp()) + 86400
    pk = customer_pk(customer_id)
    for n, part in enumerate(slices):  # one slice per write: each is near the item size limit
        ExportPartItem(pk=pk, sk=f"{EXPORT_PART_PREFIX}{export_id}#{n:04d}", data=part, ttl=ttl).save(
            add_version_condition=False)
    tx = Tx()
    tx.update("export", ExportItem(pk=pk, sk=EXPORT_PREFIX + export_id),
              [ExportItem.status.set("ready"), ExportItem.ready_at.set(clock.iso(now)),
               ExportItem.expires_at.set(clock.iso(expires)), ExportItem.parts.set(len(slices)),
               ExportItem.ttl.set(ttl)], condition=ExportItem.status == "preparing")
    tx.update("state", PrivacyStateItem(pk=pk, sk=STATE_SK), [PrivacyStateItem.open_export.remove()],
              condition=PrivacyStateItem.open_export == export_id)
    txn_pk, txn_sk = transaction_key(customer_id, f"export_{export_id}")
    tx.update("txn", TransactionItem(pk=txn_pk, sk=txn_sk),
              [TransactionItem.status.set("completed"), TransactionItem.completed_at.set(clock.iso(now))])
    try:
        tx.commit()
    except TxCancelled:
        return  # another delivery finished it first
    logger.info("export ready", extra={"customer_id": customer_id, "export_id": export_id, "bytes": len(blob)})


def listing(customer_id: str) -> list[dict[str, Any]]:
    return [view(ExportItem.from_raw_data(r)) for r in newest(customer_id, EXPORT_PREFIX, 20)]
