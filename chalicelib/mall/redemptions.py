"""Redemptions in the points mall: exactly once per Idempotency-Key, never oversold, fulfilled or handed on.

The success path is two DynamoDB calls, idempotency included:

1. one strongly consistent Query of the member's ``M#`` items: profile (tier), points state, buckets, the
   per-member count of this reward (``M#RLIM#<reward>``) and any idempotency record of this key
   (``M#IDEM#...``): a replay is answered here, after one call;
2. one TransactWriteItems: the ledger entry and buckets (soonest-expiring first), the points state (conditioned
   on the version read), units taken from stock shards (each conditioned on ``remaining >= units``), the
   redemption, the per-member count, the idempotency record (conditioned on its absence) and either the
   in-house vouchers or, for a partner reward, the transaction and its outbox entry.

The reward's definition comes from an in-process cache (see ``rewards``). A cancelled transaction is planned again:
from a fresh Query when the member's items raced, from a fresh read of the shards when stock did, and answered
from the winner's record when another request with the same key won.

Partner rewards are committed first (points and stock are secured before anything is asked of the partner), then
the partner is called with the redemption ID as its idempotency key. Success: a third write completes the
redemption and the idempotency record (201). Failure: the redemption stays ``pending_fulfillment``, the points stay
debited once, the retry port sends the transaction to the retry queue, and the answer is 202
``{"transaction_id", "status": "retrying"}``. The retry handler (``retry_fulfilment``) redoes only the partner call.
"""

from __future__ import annotations

import secrets
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.update import Action

from chalicelib.core import clock, idempotency, results
from chalicelib.core.area import Section360
from chalicelib.core.config import settings
from chalicelib.core.dynamo import keys, paging
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result
from chalicelib.core.retry import outbox, transactions
from chalicelib.core.retry.transactions import OUTBOX_INDEX_PK, TXN_PREFIX, Transaction, TransactionItem
from chalicelib.mall import fulfillment, rewards
from chalicelib.mall.fulfillment import FulfilmentOrder, PartnerUnavailable
from chalicelib.mall.models import REDEMPTION_PREFIX, RLIMIT_PREFIX, RedeemCountItem, RedemptionItem
from chalicelib.mall.rewards import Reward
from chalicelib.points import bookkeeping
from chalicelib.points.bookkeeping import MemberItems, Plan, PointsState
from chalicelib.points.rules import InsufficientPoints

ROUTE = "POST /v1/redemptions"
TRANSIENT_CODES = frozenset({
    "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "InternalServerError",
    "ServiceUnavailable", "TransactionInProgressException", "ThrottlingError", "TransactionConflict",
})


def _transient(exc: BaseException) -> bool:
    """Throttling, a timeout, a dropped connection: worth trying again (a validation error is not)."""
    if isinstance(exc, BotoCoreError):
        return True
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") in TRANSIENT_CODES
    if isinstance(exc, PynamoDBException):
        if exc.cause_response_code in TRANSIENT_CODES:
            return True
        reasons = getattr(exc, "cancellation_reasons", None) or []
        if any(r is not None and r.code in TRANSIENT_CODES for r in reasons):
            return True
        return isinstance(exc.cause, BotoCoreError)
    return False


TRANSIENT = (BotoCoreError, ClientError, PynamoDBException)
RETRY_KIND = "redemption_fulfillment"
MAX_ATTEMPTS = 25
MAX_QUANTITY = 10


def new_redemption_id() -> str:
    """``rdm_`` + milliseconds (11 hex digits) + randomness: IDs sort by time, so a reversed Query is newest first."""
    ms = int(clock.now().timestamp() * 1000)
    return f"rdm_{ms:011x}{secrets.token_hex(5)}"


def transaction_id_for(redemption_id: str) -> str:
    return "txn_" + redemption_id.removeprefix("rdm_")


def _count_of(items: MemberItems, reward_id: str) -> int:
    sk = f"{RLIMIT_PREFIX}{reward_id}"
    for raw in items.others:
        if raw["sk"]["S"] == sk:
            return int(raw["count"]["N"])
    return 0


def _check_rules(reward: Reward, items: MemberItems, quantity: int) -> int:
    """Time window, tier and per-member limit; returns the member's count of this reward so far."""
    if not reward.open_at(clock.now()):
        raise AppError("reward_not_available")
    assert items.profile is not None
    if not reward.eligible(items.profile.tier_code):
        raise AppError("tier_not_eligible")
    count = _count_of(items, reward.reward_id)
    if reward.per_member_limit is not None and count + quantity > reward.per_member_limit:
        raise AppError(
            "redemption_limit_reached",
            details=[{"field": "quantity", "issue": f"limit {reward.per_member_limit}, already redeemed {count}"}],
        )
    return count


def _response_body(item: RedemptionItem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "redemption_id": item.redemption_id,
        "status": item.status,
        "points_spent": int(item.points_spent),
        "balance_after": int(item.balance_after),
        "reward_id": item.reward_id,
        "quantity": int(item.quantity),
        "fulfillment": item.fulfillment,
        "created_at": item.created_at,
    }
    if item.vouchers:
        body["vouchers"] = [{"code": c, "expires_at": item.voucher_expires_at} for c in item.vouchers]
    if item.partner_codes:
        body["partner_codes"] = list(item.partner_codes)
    if item.transaction_id:
        body["transaction_id"] = item.transaction_id
    return body


def _accepted_body(redemption_id: str, transaction_id: str) -> dict[str, Any]:
    return {"transaction_id": transaction_id, "status": "retrying", "redemption_id": redemption_id}


# --- redeeming ------------------------------------------------------------------------------------------------------


def redeem(
    customer_id: str, reward_id: str, quantity: int, idempotency_key: str | None, channel: str | None = None
) -> Result:
    """``POST /v1/redemptions``: 201 (completed), 202 (accepted, fulfilment retrying) or a replay of the first."""
    payload = {"reward_id": reward_id, "quantity": quantity}
    reward = rewards.definition(reward_id)
    redemption_id = new_redemption_id()
    transaction_id = transaction_id_for(redemption_id)
    partner = reward.fulfillment == "partner"
    known = rewards.known_stock(reward_id)
    fresh_stock = False
    codes = [fulfillment.new_voucher_code() for _ in range(quantity)] if not partner else []
    items: MemberItems | None = None
    for attempt in range(MAX_ATTEMPTS):
        if items is None:
            try:
                items = bookkeeping.load_member(customer_id, consistent=True)
            except TRANSIENT as exc:
                if not _transient(exc):
                    raise
                logger.warning("member read failed; trying again", exc_info=True)
                bookkeeping.backoff(min(attempt, 5))
                continue
        assert items.profile is not None
        owner = items.profile.customer_id
        req = idempotency.request(keys.customer_pk(owner), ROUTE, idempotency_key, payload)
        stored = idempotency.lookup(req, items.others)
        if stored is not None:
            return idempotency.replay_response(stored)
        count = _check_rules(reward, items, quantity)
        state = PointsState.from_items(items)
        cost = reward.points_cost * quantity
        try:
            change = state.account.spend(cost, kind="redemption", reference=redemption_id, today=bookkeeping.today())
        except InsufficientPoints as exc:
            raise AppError(
                "insufficient_points", details=[{"field": "quantity", "issue": f"balance is {exc.balance}"}]
            ) from None
        taken = rewards.choose_shards(reward.shards, quantity, known)
        if taken is None:
            if fresh_stock or rewards.known_short(reward.reward_id, quantity):
                raise AppError("out_of_stock")
            known, reward = _refresh_stock(reward)
            fresh_stock = True
            continue
        at = bookkeeping.now_iso()
        redemption = RedemptionItem(
            pk=keys.customer_pk(owner), sk=f"{REDEMPTION_PREFIX}{redemption_id}", redemption_id=redemption_id,
            customer_id=owner, reward_id=reward.reward_id, reward_name=reward.name, quantity=quantity,
            points_spent=cost, balance_after=change.account.balance,
            status="pending_fulfillment" if partner else "completed", fulfillment=reward.fulfillment,
            shards={str(k): v for k, v in taken.items()}, transaction_id=transaction_id if partner else None,
            channel=channel, created_at=at, updated_at=at,
        )
        txn = Transaction(transaction_id, owner, RETRY_KIND, redemption_id,
                          {"redemption_id": redemption_id, "reward_id": reward.reward_id, "quantity": quantity,
                           "partner": reward.partner})

        def add(tx: Tx, reward: Reward = reward, taken: dict[int, int] = taken, count: int = count,
                redemption: RedemptionItem = redemption, req: idempotency.Request = req,
                txn: Transaction = txn) -> None:
            rewards.take_in(tx, reward, taken)
            if reward.per_member_limit is not None:
                counter = RedeemCountItem(pk=redemption.pk, sk=f"{RLIMIT_PREFIX}{reward.reward_id}",
                                          reward_id=reward.reward_id, count=count + quantity)
                same = RedeemCountItem.count == count if count else RedeemCountItem.pk.does_not_exist()
                tx.put("rlimit", counter, same)
            if partner:
                outbox.retry_port().record_in(tx, txn)
                idempotency.record_in(tx, req, "accepted", _accepted_body(redemption_id, transaction_id),
                                      provisional=True)
            else:
                redemption.vouchers = codes
                redemption.voucher_expires_at = fulfillment.issue_vouchers_in(
                    tx, customer_id=redemption.customer_id, redemption_id=redemption_id,
                    reward_id=reward.reward_id, codes=codes, valid_days=reward.voucher_valid_days,
                )
                idempotency.record_in(tx, req, "created", _response_body(redemption))
            tx.put("redemption", redemption, RedemptionItem.pk.does_not_exist())

        plan = Plan(change, entry_fields={"channel": channel} if channel else {}, add=add)
        tx, _entries = bookkeeping.build_tx(state, plan)
        try:
            tx.commit()
        except TRANSIENT as exc:
            if not _transient(exc):
                raise
            # Throttled, timed out, or an answer lost on the way: planning again from a fresh read is safe even if
            # the write did commit, since the idempotency record's condition then fails and the first response
            # is replayed.
            logger.warning("redemption write failed; trying again", exc_info=True)
            items = None
            bookkeeping.backoff(min(attempt, 5))
            continue
        except TxCancelled as exc:
            if idempotency.LABEL in exc.failed:
                return idempotency.replay_after_race(req)
            if any(label.startswith("stock:") for label in exc.failed):
                known, reward = _refresh_stock(reward)
                fresh_stock = True
            if exc.failed & {"points", "profile", "rlimit", "redemption"}:
                items = None
            if any(label.startswith("voucher:") for label in exc.failed):
                codes[:] = [fulfillment.new_voucher_code() for _ in range(quantity)]
            if exc.failed - {"points", "profile", "rlimit", "redemption"} - {f"stock:{k}" for k in taken} - {
                f"voucher:{i}" for i in range(quantity)
            }:
                raise
            if exc.conflict or items is None:
                bookkeeping.backoff(min(attempt, 5))
            continue
        rewards.note_taken(reward.reward_id, taken)
        logger.info("redeemed", extra={"customer_id": owner, "reward_id": reward.reward_id, "quantity": quantity,
                                       "redemption_id": redemption_id, "points": cost})
        if not partner:
            return results.created(_response_body(redemption))
        return _fulfil_now(reward, redemption, txn, req)
    logger.warning("redemption gave up after retries", extra={"customer_id": customer_id, "reward_id": reward_id})
    raise AppError("service_unavailable", retry_after=1)


def _refresh_stock(reward: Reward) -> tuple[dict[int, int], Reward]:
    shards = rewards.read_shards(reward, consistent=True)
    if any(ver != reward.ver for _r, ver in shards.values()):
        reward = rewards.definition(reward.reward_id, fresh=True)
    return {k: r for k, (r, _v) in shards.items()}, reward


def _order(reward_id: str, reward_name: str, redemption: RedemptionItem) -> FulfilmentOrder:
    return FulfilmentOrder(order_ref=redemption.redemption_id, reward_id=reward_id, reward_name=reward_name,
                           quantity=int(redemption.quantity), customer_id=redemption.customer_id)


def _fulfil_now(reward: Reward, redemption: RedemptionItem, txn: Transaction, req: idempotency.Request) -> Result:
    """The partner call right after the commit: 201 when it works, 202 and a retry message when it does not."""
    try:
        result = fulfillment.provider(reward.partner).fulfil(_order(reward.reward_id, reward.name, redemption))
    except Exception as exc:  # a partner down, timing out or misconfigured: all retried, none lost
        error = str(exc) if isinstance(exc, PartnerUnavailable) else f"{type(exc).__name__}: {exc}"
        logger.warning("partner fulfilment failed; handed to the retry pipeline",
                       extra={"transaction_id": txn.transaction_id, "error": error})
        sent = outbox.retry_port().enqueue(txn, clear_outbox=False)
        record_attempt(txn, ok=False, error=error, where="request", sent=sent)
        return results.accepted(_accepted_body(redemption.redemption_id, txn.transaction_id))
    try:
        body = complete(txn, result, where="request", req=req, redemption=redemption)
    except TRANSIENT:  # the partner delivered but recording it failed: the retry pipeline records it (idempotent)
        logger.warning("recording the fulfilment failed; handed to the retry pipeline",
                       extra={"transaction_id": txn.transaction_id}, exc_info=True)
        sent = outbox.retry_port().enqueue(txn, clear_outbox=False)
        record_attempt(txn, ok=False, error="fulfilled, but not recorded", where="request", sent=sent)
        return results.accepted(_accepted_body(redemption.redemption_id, txn.transaction_id))
    if body is None:  # completed meanwhile by the retry pipeline: answer from the stored record
        return idempotency.replay_after_race(req)
    return results.created(body)


def _attempt(ok: bool, error: str | None, where: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"at": clock.iso(), "ok": ok, "where": where}
    if error:
        entry["error"] = error[:500]
    return entry


def record_attempt(txn: Transaction, *, ok: bool, error: str | None, where: str, sent: bool = False) -> None:
    """Append an attempt to the transaction (one UpdateItem); ``sent`` also takes it off the outbox index."""
    pk, sk = transactions.transaction_key(txn.customer_id, txn.transaction_id)
    actions: list[Action] = [
        TransactionItem.attempts.set((TransactionItem.attempts | []).append([_attempt(ok, error, where)])),
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
        body = _response_body(redemption)
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



# --- reading ------------------------------------------------------------------------------------------------------


def redemption_view(item: RedemptionItem) -> dict[str, Any]:
    out = _response_body(item)
    out.update({"reward_name": item.reward_name, "updated_at": item.updated_at, "channel": item.channel})
    return out


def my_redemption(customer_id: str, redemption_id: str) -> dict[str, Any]:
    """One GetItem in the caller's partition: another member's redemption is simply not there (404)."""
    try:
        item = RedemptionItem.get(keys.customer_pk(customer_id), f"{REDEMPTION_PREFIX}{redemption_id}",
                                  consistent_read=True)
    except RedemptionItem.DoesNotExist:
        raise AppError("not_found") from None
    return redemption_view(item)


def my_redemptions(customer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """Newest first: one Query on the ``RDM#`` prefix with ``Limit``."""
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :r)",
        "ExpressionAttributeValues": {":pk": {"S": keys.customer_pk(customer_id)}, ":r": {"S": REDEMPTION_PREFIX}},
        "ScanIndexForward": False,
        "Limit": limit + 1,
        "ConsistentRead": True,
    }
    if cursor:
        sk = paging.decode_cursor(cursor, REDEMPTION_PREFIX)
        kwargs["ExclusiveStartKey"] = {"pk": {"S": keys.customer_pk(customer_id)}, "sk": {"S": sk}}
    page = shared_connection().client.query(**kwargs)
    items = [RedemptionItem.from_raw_data(raw) for raw in page.get("Items", [])]
    more = len(items) > limit
    items = items[:limit]
    return {"items": [redemption_view(i) for i in items],
            "next_cursor": paging.encode_cursor(items[-1].sk) if more and items else None}


def transaction_view(item: TransactionItem) -> dict[str, Any]:
    attempts = list(item.attempts or [])
    out: dict[str, Any] = {
        "transaction_id": item.transaction_id,
        "kind": item.kind,
        "status": item.status,
        "reference": item.reference,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "completed_at": item.completed_at,
        "attempts": len(attempts),
        "last_error": item.last_error,
        "queued": item.gsi1pk != OUTBOX_INDEX_PK,
    }
    if item.kind == RETRY_KIND:
        out["redemption_id"] = (item.payload or {}).get("redemption_id")
    return out


def my_transaction(customer_id: str, transaction_id: str) -> dict[str, Any]:
    """``GET /v1/me/transactions/{id}``: one GetItem in the caller's partition (another member's: 404)."""
    try:
        item = TransactionItem.get(keys.customer_pk(customer_id), f"{TXN_PREFIX}{transaction_id}",
                                   consistent_read=True)
    except TransactionItem.DoesNotExist:
        raise AppError("not_found") from None
    return transaction_view(item)


RECENT_360 = 10


def _redemption_360(item: RedemptionItem) -> dict[str, Any]:
    return {
        "redemption_id": item.redemption_id, "reward_id": item.reward_id, "reward_name": item.reward_name,
        "quantity": int(item.quantity), "points_spent": int(item.points_spent), "status": item.status,
        "fulfillment": item.fulfillment, "transaction_id": item.transaction_id, "vouchers": list(item.vouchers or []),
        "created_at": item.created_at, "updated_at": item.updated_at,
    }


member_360 = Section360(
    read=lambda customer_id: paging.newest(customer_id, REDEMPTION_PREFIX, RECENT_360),
    render=lambda raw, _member, _now: {
        "redemptions": [_redemption_360(RedemptionItem.from_raw_data(r)) for r in raw]},
)
