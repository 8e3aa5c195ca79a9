"""The retry port: the outbox entry in the caller's transaction, then the message on the retry queue.

``retry_port().record_in(tx, txn)`` puts the transaction (on the ``OUTBOX`` index) in the caller's transaction;
``enqueue(txn)`` sends the retry message to SQS and clears the outbox entry. If the send fails the entry stays on
the index for the sweeper (``sweep_outbox``) to send again: nothing accepted is lost.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any, Protocol

from chalicelib.core import clock
from chalicelib.core.config import settings
from chalicelib.core.dynamo.paging import index_page
from chalicelib.core.dynamo.tx import Tx
from chalicelib.core.observability import logger, metrics
from chalicelib.core.retry.transactions import (
    OUTBOX_INDEX_PK,
    Transaction,
    TransactionItem,
    transaction_key,
    transaction_of,
)


class RetryPort(Protocol):
    def record_in(self, tx: Tx, txn: Transaction, *, status: str = "retrying") -> None: ...

    def enqueue(self, txn: Transaction, *, clear_outbox: bool = True) -> bool: ...


class SqsOutboxRetryPort:
    """Outbox in the caller's DynamoDB transaction, then a message on the retry queue (``RETRY_QUEUE_NAME``)."""

    def __init__(self) -> None:
        self._client: Any = None
        self._url: str | None = None
        self._key: tuple[Any, ...] | None = None
        self._lock = threading.Lock()

    def record_in(self, tx: Tx, txn: Transaction, *, status: str = "retrying") -> None:
        at = clock.iso()
        pk, sk = transaction_key(txn.customer_id, txn.transaction_id)
        tx.put(
            "txn",
            TransactionItem(
                pk=pk, sk=sk, transaction_id=txn.transaction_id, customer_id=txn.customer_id, kind=txn.kind,
                status=status, reference=txn.reference, payload=txn.payload, attempts=[], attempt_count=0,
                created_at=at, updated_at=at, gsi1pk=OUTBOX_INDEX_PK, gsi1sk=f"{at}#{txn.transaction_id}",
            ),
            TransactionItem.pk.does_not_exist(),
        )

    def _queue(self) -> tuple[Any, str]:
        cfg = settings()
        key = (cfg.sqs_endpoint, cfg.region, cfg.retry_queue_name)
        with self._lock:
            if self._key != key or self._client is None or self._url is None:
                import boto3
                from botocore.config import Config

                client = boto3.client(
                    "sqs", region_name=cfg.region, endpoint_url=cfg.sqs_endpoint,
                    config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"}),
                )
                self._url = client.get_queue_url(QueueName=cfg.retry_queue_name)["QueueUrl"]
                self._client, self._key = client, key
            return self._client, self._url

    def enqueue(self, txn: Transaction, *, clear_outbox: bool = True) -> bool:
        """Send the retry message; on success clear the outbox entry (unless the caller clears it in its own
        write). False (logged) if the send failed: the outbox entry stays for ``sweep_outbox``."""
        try:
            client, url = self._queue()
            client.send_message(QueueUrl=url, MessageBody=json.dumps(txn.message(), ensure_ascii=False))
        except Exception:
            logger.warning("retry message not sent; left in the outbox",
                           extra={"transaction_id": txn.transaction_id}, exc_info=True)
            with self._lock:
                self._client = self._url = None
            return False
        if clear_outbox:
            mark_sent(txn)
        return True


_followup_client: dict[tuple[Any, ...], tuple[Any, str]] = {}


def escalate(txn: Transaction) -> bool:
    """Send the transaction straight to the follow-up queue (its case opens there): for work that retrying cannot
    finish, known at once. On success the outbox entry is cleared; False (logged) if the send failed: the entry
    stays, and the sweeper sends it to the retry queue, whose handler for the kind hands it on."""
    cfg = settings()
    key = (cfg.sqs_endpoint, cfg.region, cfg.followup_queue_name)
    try:
        if key not in _followup_client:
            import boto3

            client = boto3.client("sqs", region_name=cfg.region, endpoint_url=cfg.sqs_endpoint)
            _followup_client[key] = (client, client.get_queue_url(QueueName=cfg.followup_queue_name)["QueueUrl"])
        client, url = _followup_client[key]
        client.send_message(QueueUrl=url, MessageBody=json.dumps(txn.message(), ensure_ascii=False))
    except Exception:
        _followup_client.pop(key, None)
        logger.warning("follow-up message not sent; left in the outbox",
                       extra={"transaction_id": txn.transaction_id}, exc_info=True)
        return False
    mark_sent(txn)
    return True


def mark_sent(txn: Transaction) -> None:
    """Take the transaction off the ``OUTBOX`` index (a plain UpdateItem; failing it only means a resend)."""
    pk, sk = transaction_key(txn.customer_id, txn.transaction_id)
    try:
        TransactionItem(pk=pk, sk=sk).update(
            actions=[TransactionItem.gsi1pk.remove(), TransactionItem.gsi1sk.remove()],
            condition=TransactionItem.pk.exists(), add_version_condition=False,
        )
    except Exception:
        logger.warning("outbox entry not cleared (the message may be sent twice)",
                       extra={"transaction_id": txn.transaction_id}, exc_info=True)


class MeteredRetryPort:
    """Counts what reaches the retry queue (``RetriesEnqueued``) and what waits in the outbox
    (``RetryEnqueueFailed``)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def record_in(self, *args: Any, **kwargs: Any) -> Any:
        return self.inner.record_in(*args, **kwargs)

    def enqueue(self, *args: Any, **kwargs: Any) -> bool:
        sent = bool(self.inner.enqueue(*args, **kwargs))
        metrics.add_metric(name="RetriesEnqueued" if sent else "RetryEnqueueFailed", unit="Count", value=1)
        return sent

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


_port: RetryPort | None = None


def retry_port() -> RetryPort:
    """The SQS port with its sends counted (``set_retry_port`` swaps it, e.g. in tests)."""
    global _port
    if _port is None:
        _port = MeteredRetryPort(SqsOutboxRetryPort())
    return _port


def set_retry_port(port: RetryPort | None) -> None:
    """Swap the port (tests, or the next issue's pipeline)."""
    global _port
    _port = port


def sweep_outbox(older_than_seconds: float = 60.0, limit: int = 100) -> int:
    """Send again what the outbox still holds after ``older_than_seconds`` (messages whose send failed).
    Returns how many were sent. The schedule that runs it belongs to the retry pipeline (next issue)."""
    cutoff = clock.iso(clock.now() - timedelta(seconds=older_than_seconds))
    raw, _more = index_page("gsi1", OUTBOX_INDEX_PK, limit)
    sent = 0
    for r in raw:
        item = TransactionItem.from_raw_data(r)
        if (item.gsi1sk or "") > cutoff:
            break
        if retry_port().enqueue(transaction_of(item)):
            sent += 1
    return sent
