"""A partner reward's fulfilment: the partner call right after the redemption's commit, the record of each attempt,
completing the redemption, and the retry handler that redoes only the partner call."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.update import Action

from chalicelib.core import clock, idempotency, results
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.observability import logger
from chalicelib.core.results import Result
from chalicelib.core.retry import outbox, transactions
from chalicelib.core.retry.transactions import Transaction, TransactionItem
from chalicelib.mall import fulfillment
from chalicelib.mall.fulfillment import FulfilmentOrder, PartnerUnavailable
from chalicelib.mall.models import REDEMPTION_PREFIX, RedemptionItem
from chalicelib.mall.redemption_views import accepted_body, response_body
from chalicelib.mall.rewards import Reward

TRANSIENT = (BotoCoreError, ClientError, PynamoDBException)  # what ``retry.is_transient`` may judge worth again


def _order(reward_id: str, reward_name: str, redemption: RedemptionItem) -> FulfilmentOrder:
    return FulfilmentOrder(order_ref=redemption.redemption_id, reward_id=reward_id, reward_name=reward_name,
                           quantity=int(redemption.quantity), customer_id=redemption.customer_id)


def fulfil_now(reward: Reward, redemption: RedemptionItem, txn: Transaction, req: idempotency.Request) -> Result:
    """The partner call right after the commit: 201 when it works, 202 and a retry message when it does not."""
    try:
        result = fulfillment.provider(reward.partner).fulfil(_order(reward.reward_id, reward.name, redemption))
    except Exception as exc:  # a partner down, timing out or misconfigured: all retried, none lost
        failed_at = clock.iso()  # before the message goes: a retry worker's attempt is always later than this one
        error = str(exc) if isinstance(exc, PartnerUnavailable) else f"{type(exc).__name__}: {exc}"
        logger.warning("partner fulfilment failed; handed to the retry pipeline",
                       extra={"transaction_id": txn.transaction_id, "error": error})
        sent = outbox.retry_port().enqueue(txn, clear_outbox=False)
        record_attempt(txn, ok=False, error=error, where="request", sent=sent, at=failed_at)
        return results.accepted(accepted_body(redemption.redemption_id, txn.transaction_id))
    try:
        body = complete(txn, result, where="request", req=req, redemption=redemption)
    except TRANSIENT:  # the partner delivered but recording it failed: the retry pipeline records it (idempotent)
        failed_at = clock.iso()
        logger.warning("recording the fulfilment failed; handed to the retry pipeline",
                       extra={"transaction_id": txn.transaction_id}, exc_info=True)
        sent = outbox.retry_port().enqueue(txn, clear_outbox=False)
        record_attempt(txn, ok=False, error="fulfilled, but not recorded", where="request", sent=sent, at=failed_at)
        return results.accepted(accepted_body(redemption.redemption_id, txn.transaction_id))
    if body is None:  # completed meanwhile by the retry pipeline: answer from the stored record
        return idempotency.replay_after_race(req)
    return results.created(body)


def _attempt(ok: bool, error: str | None, where: str, at: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"at": at or clock.iso(), "ok": ok, "where": where}
    if error:
        entry["error"] = error[:500]
    return entry


def record_attempt(txn: Transaction, *, ok: bool, error: str | None, where: str, sent: bool = False,
                   at: str | None = None) -> None:
    """Append an attempt to the transaction (one UpdateItem); ``sent`` also takes it off the outbox index. ``at``:
    when it failed, if that was before now (the request's failure, recorded after its retry message went)."""
    pk, sk = transactions.transaction_key(txn.customer_id, txn.transaction_id)
    actions: list[Action] = [
        TransactionItem.attempts.set((TransactionItem.attempts | []).append([_attempt(ok, error, where, at)])),
        TransactionItem.attempt_count.add(1),
        TransactionItem.updated_at.set(clock.iso()),
    ]
    if error:
        actions.append(TransactionItem.last_error.set(error[:500]))
    if sent:
        actions += [TransactionItem.gsi1pk.remove(), TransactionItem.gsi1sk.remove()]
    try:
        TransactionItem(pk=pk, sk=sk).update(actions=actions, condition=TransactionItem.pk.exists(),
                                             add_version_condition=False)
    except Exception:
        logger.warning("attempt not recorded", extra={"transaction_id": txn.transaction_id}, exc_info=True)


def complete(
    txn: Transaction,
    result: fulfillment.FulfilmentResult,
    *,
    where: str,
    req: idempotency.Request | None = None,
    redemption: RedemptionItem | None = None,
) -> dict[str, Any] | None:
    """Mark the redemption completed with the partner's codes, and the transaction completed (off the outbox), in
    one transaction. From the request (``req`` and the ``redemption`` as written) the final response replaces the
    provisional idempotency record, and is returned. None if the redemption was no longer pending."""
    redemption_id = txn.payload["redemption_id"]
    pk = keys.customer_pk(txn.customer_id)
    at = clock.iso()
    tx = Tx()
    tx.update(
        "redemption", RedemptionItem(pk=pk, sk=f"{REDEMPTION_PREFIX}{redemption_id}"),
        [RedemptionItem.status.set("completed"), RedemptionItem.partner_ref.set(result.partner_ref),
         RedemptionItem.partner_codes.set(result.codes), RedemptionItem.updated_at.set(at)],
        RedemptionItem.status == "pending_fulfillment",
    )
    tpk, tsk = transactions.transaction_key(txn.customer_id, txn.transaction_id)
    tx.update(
        "txn", TransactionItem(pk=tpk, sk=tsk),
        [TransactionItem.status.set("completed"), TransactionItem.completed_at.set(at),
         TransactionItem.updated_at.set(at),
         TransactionItem.attempts.set((TransactionItem.attempts | []).append([_attempt(True, None, where)])),
         TransactionItem.attempt_count.add(1), TransactionItem.gsi1pk.remove(), TransactionItem.gsi1sk.remove()],
        TransactionItem.status == "retrying",
    )
    body: dict[str, Any] | None = None
    if req is not None and redemption is not None:
        redemption.status, redemption.partner_codes, redemption.updated_at = "completed", result.codes, at
        body = response_body(redemption)
        idempotency.finalise_in(tx, req, "created", body)
    try:
        tx.commit()
    except TxCancelled:
        logger.info("redemption was no longer pending", extra={"transaction_id": txn.transaction_id})
        return None
    logger.info("redemption fulfilled", extra={"transaction_id": txn.transaction_id, "where": where})
    return body if body is not None else {}


# --- the retry handler --------------------------------------------------------------------------------------------


def retry_fulfilment(message: dict[str, Any]) -> None:
    """The mall's retry handler for ``RETRY_KIND`` (in its manifest): redo the partner call of a pending redemption,
    idempotently.

    A transaction that is no longer ``retrying`` (completed, refunded, in an agent's hands) is left alone, so a
    duplicate delivery changes nothing; a failing partner raises, and SQS delivers the message again (after the
    last attempt the redrive policy moves it to the follow-up queue).
    """
    customer_id, transaction_id = message["customer_id"], message["transaction_id"]
    pk, sk = transactions.transaction_key(customer_id, transaction_id)
    try:
        item = TransactionItem.get(pk, sk, consistent_read=True)
    except TransactionItem.DoesNotExist:
        logger.warning("retry message for an unknown transaction", extra={"transaction_id": transaction_id})
        return
    if item.status != "retrying":
        logger.info("transaction no longer retrying", extra={"transaction_id": transaction_id, "status": item.status})
        return
    txn = transactions.transaction_of(item)
    redemption = RedemptionItem.get(keys.customer_pk(customer_id),
                                    f"{REDEMPTION_PREFIX}{txn.payload['redemption_id']}", consistent_read=True)
    try:
        result = fulfillment.provider(txn.payload.get("partner")).fulfil(
            _order(redemption.reward_id, redemption.reward_name, redemption)
        )
    except Exception as exc:
        error = str(exc) if isinstance(exc, PartnerUnavailable) else f"{type(exc).__name__}: {exc}"
        record_attempt(txn, ok=False, error=error, where="retry_worker")
        raise
    complete(txn, result, where="retry_worker")
