"""Redemptions in the points mall: exactly once per Idempotency-Key, never oversold, fulfilled or handed on.

The success path is three DynamoDB calls, idempotency included:

1. one consistent BatchGetItem of the idempotency record of this key (``H#IDEM#...``) and, for a reward with a
   per-member limit, the member's count of it (``H#RLIM#<reward>``): a replay is answered here, after one call;
2. one strongly consistent Query of the member's bounded ``M#`` items: profile (tier), points state, buckets;
3. one TransactWriteItems: the ledger entry and buckets (soonest-expiring first), the points state (conditioned
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
from chalicelib.core.dynamo import keys, member_layout, paging, retry
from chalicelib.core.dynamo.batch import batch_get
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.overlay import overlay
from chalicelib.core.results import Result
from chalicelib.core.retry import outbox, transactions
from chalicelib.core.retry.transactions import OUTBOX_INDEX_PK, TXN_PREFIX, Transaction, TransactionItem
from chalicelib.mall import fulfillment, rewards
from chalicelib.mall.fulfillment import FulfilmentOrder, PartnerUnavailable
from chalicelib.mall.models import REDEMPTION_PREFIX, RLIMIT_PREFIX, RedeemCountItem, RedemptionItem
from chalicelib.mall.rewards import Reward
from chalicelib.points import public as points
from chalicelib.points.public import InsufficientPoints, MemberItems, Plan, PointsState

ROUTE = "POST /v1/redemptions"


TRANSIENT = (BotoCoreError, ClientError, PynamoDBException)  # what ``retry.is_transient`` may judge worth again
RETRY_KIND = "redemption_fulfillment"
MAX_ATTEMPTS = 25
MAX_QUANTITY = 10


def new_redemption_id() -> str:
    """``rdm_`` + milliseconds (11 hex digits) + randomness: IDs sort by time, so a reversed Query is newest first."""
    ms = int(clock.now().timestamp() * 1000)
    return f"rdm_{ms:011x}{secrets.token_hex(5)}"


def transaction_id_for(redemption_id: str) -> str:
    return "txn_" + redemption_id.removeprefix("rdm_")


def _count_sk(reward_id: str) -> str:
    return f"{RLIMIT_PREFIX}{reward_id}"


def _count_in(pk: str, found: dict[tuple[str, str], dict[str, Any]], others: list[dict[str, Any]],
              reward_id: str) -> int:
    """The member's count of ``reward_id``: its item (in either layout) among what was read."""
    sk = _count_sk(reward_id)
    for raw in (found.get((pk, sk)), found.get((pk, member_layout.old_key(sk))),
                *(r for r in others if r["sk"]["S"] == member_layout.old_key(sk))):
        if raw is not None:
            return int(raw["count"]["N"])
    return 0


def _check_rules(reward: Reward, items: MemberItems, quantity: int, count: int) -> int:
    """Time window, tier, Plus (for a Plus-only reward) and per-member limit (``count``: the member's so far);
    returns ``count``."""
    if not reward.open_at(clock.now()):
        raise AppError("reward_not_available")
    assert items.profile is not None
    if not reward.eligible(points.held_tier(items).code):
        raise AppError("tier_not_eligible")
    if reward.plus_only and not overlay().holds(items.others, clock.now()):
        raise AppError("plus_required")  # from the M# items the one Query already read: no extra call
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
    """``POST /v1/redemptions``: created (in-house), accepted (a partner's fulfilment retrying) or a replay.

    One consistent Query of the member (profile, points state, buckets, idempotency record, per-member counter) and
    one TransactWriteItems (points, ledger entry, stock shards, counter, redemption, vouchers or outbox entry,
    idempotency record). A lost race, throttling, a timeout or a lost answer plans again from a fresh read (safe even
    if the write did commit: the idempotency record's condition then fails and the first response is replayed).
    """
    attempt = _Redemption(customer_id, rewards.definition(reward_id), quantity, idempotency_key, channel)
    stored = attempt.first_read()  # one BatchGetItem: a replay is answered here
    if stored is not None:
        return idempotency.replay_response(stored)
    for _ in retry.attempts(MAX_ATTEMPTS):
        result = attempt.once()
        if result is not None:
            return result
    retry.give_up("redemption", customer_id=customer_id, reward_id=reward_id)


class _Redemption:
    """One redemption request across its attempts: what it learnt (stock, a fresh read needed) carries over."""

    def __init__(self, customer_id: str, reward: Reward, quantity: int, idempotency_key: str | None,
                 channel: str | None) -> None:
        self.customer_id, self.reward, self.quantity, self.channel = customer_id, reward, quantity, channel
        self.idempotency_key = idempotency_key
        self.payload = {"reward_id": reward.reward_id, "quantity": quantity}
        self.req = idempotency.request(keys.customer_pk(customer_id), ROUTE, idempotency_key, self.payload)
        self.redemption_id = new_redemption_id()
        self.transaction_id = transaction_id_for(self.redemption_id)
        self.partner = reward.fulfillment == "partner"
        self.known = rewards.known_stock(reward.reward_id)
        self.fresh_stock = False
        self.codes = [] if self.partner else [fulfillment.new_voucher_code() for _ in range(quantity)]
        self.items: MemberItems | None = None
        self.found: dict[tuple[str, str], dict[str, Any]] = {}
        self.count_stale = False  # the count read is older than a transaction that failed on it
        self.count_pk = self.req.owner_pk  # whose count ``found`` holds

    def first_read(self) -> idempotency.Stored | None:
        """The idempotency record, and the member's count of a limited reward, in one BatchGetItem."""
        pk = self.req.owner_pk
        keys = [(pk, sk) for sk in idempotency.sort_keys(self.req)]
        if self.reward.per_member_limit is not None:
            sk = _count_sk(self.reward.reward_id)
            keys += [(pk, sk)] + ([(pk, member_layout.old_key(sk))] if member_layout.migrating() else [])
        self.found = batch_get(keys)
        return idempotency.from_found(self.req, self.found)

    def _count(self, items: MemberItems) -> int:
        """The member's count of a limited reward (read by ``first_read``; again after the merge alias or a race)."""
        if self.reward.per_member_limit is None:
            return 0
        pk = keys.customer_pk(items.customer_id)
        if self.count_stale or pk != self.count_pk:  # a race on the count, or the survivor of a merge: read it again
            sk = _count_sk(self.reward.reward_id)
            self.found = {k: v for k, v in self.found.items() if k[1] not in (sk, member_layout.old_key(sk))}
            self.found.update(batch_get([(pk, sk), *([(pk, member_layout.old_key(sk))]
                                                     if member_layout.migrating() else [])]))
            self.count_stale, self.count_pk = False, pk
        return _count_in(pk, self.found, items.others, self.reward.reward_id)

    def once(self) -> Result | None:
        """One attempt: the result, or None to try again (after the caller's backoff)."""
        if self.items is None:
            try:
                self.items = points.load_member(self.customer_id, consistent=True)
            except TRANSIENT as exc:
                if not retry.is_transient(exc):
                    raise
                logger.warning("member read failed; trying again", exc_info=True)
                return None
        items = self.items
        if items.deletion_pending:
            raise AppError("deletion_pending")
        assert items.profile is not None
        owner = items.profile.customer_id
        req, stored = idempotency.owner_moved(self.req, keys.customer_pk(owner), items.others)
        if stored is not None:
            return idempotency.replay_response(stored)
        count = _check_rules(self.reward, items, self.quantity, self._count(items))
        state = PointsState.from_items(items)
        cost = self.reward.points_cost * self.quantity
        try:
            change = state.account.spend(cost, kind="redemption", reference=self.redemption_id,
                                         today=clock.today())
        except InsufficientPoints as exc:
            raise AppError(
                "insufficient_points", details=[{"field": "quantity", "issue": f"balance is {exc.balance}"}]
            ) from None
        taken = rewards.choose_shards(self.reward.shards, self.quantity, self.known)
        if taken is None:
            if self.fresh_stock or rewards.known_short(self.reward.reward_id, self.quantity):
                raise AppError("out_of_stock")
            self._refresh_stock()
            return None
        redemption = self._redemption_item(owner, cost, change.account.balance, taken)
        txn = Transaction(self.transaction_id, owner, RETRY_KIND, self.redemption_id,
                          {"redemption_id": self.redemption_id, "reward_id": self.reward.reward_id,
                           "quantity": self.quantity, "partner": self.reward.partner})
        plan = Plan(change, entry_fields={"channel": self.channel} if self.channel else {},
                    add=lambda tx: self._add_items(tx, taken, count, redemption, req, txn))
        tx, _entries = points.build_tx(state, plan)
        try:
            tx.commit()
        except TRANSIENT as exc:
            if not retry.is_transient(exc):
                raise
            logger.warning("redemption write failed; trying again", exc_info=True)
            self.items = None
            return None
        except TxCancelled as exc:
            return self._after_cancelled(exc, req, taken)
        rewards.note_taken(self.reward.reward_id, taken)
        logger.info("redeemed", extra={"customer_id": owner, "reward_id": self.reward.reward_id,
                                       "quantity": self.quantity, "redemption_id": self.redemption_id,
                                       "points": cost})
        if not self.partner:
            return results.created(_response_body(redemption))
        return _fulfil_now(self.reward, redemption, txn, req)

    def _redemption_item(self, owner: str, cost: int, balance_after: int, taken: dict[int, int]) -> RedemptionItem:
        at = clock.now_iso()
        return RedemptionItem(
            pk=keys.customer_pk(owner), sk=f"{REDEMPTION_PREFIX}{self.redemption_id}",
            redemption_id=self.redemption_id, customer_id=owner, reward_id=self.reward.reward_id,
            reward_name=self.reward.name, quantity=self.quantity, points_spent=cost, balance_after=balance_after,
            status="pending_fulfillment" if self.partner else "completed", fulfillment=self.reward.fulfillment,
            shards={str(k): v for k, v in taken.items()},
            transaction_id=self.transaction_id if self.partner else None,
            channel=self.channel, created_at=at, updated_at=at,
        )

    def _add_items(self, tx: Tx, taken: dict[int, int], count: int, redemption: RedemptionItem,
                   req: idempotency.Request, txn: Transaction) -> None:
        """The mall's items in the points change's transaction."""
        reward = self.reward
        rewards.take_in(tx, reward, taken)
        if reward.plus_only:  # a use of what only the overlay gives: its refund is refused from now on
            overlay().record_use(tx, redemption.customer_id, "reward", reward.reward_id)
        if reward.per_member_limit is not None:
            counter = RedeemCountItem(pk=redemption.pk, sk=_count_sk(reward.reward_id),
                                      reward_id=reward.reward_id, count=count + self.quantity)
            same = RedeemCountItem.count == count if count else RedeemCountItem.pk.does_not_exist()
            tx.put("rlimit", counter, same)
            member_layout.retire_old(tx, "rlimit", RedeemCountItem, counter.pk, counter.sk)
        if self.partner:
            outbox.retry_port().record_in(tx, txn)
            idempotency.record_in(tx, req, "accepted", _accepted_body(self.redemption_id, self.transaction_id),
                                  provisional=True)
        else:
            redemption.vouchers = self.codes
            redemption.voucher_expires_at = fulfillment.issue_vouchers_in(
                tx, customer_id=redemption.customer_id, redemption_id=self.redemption_id,
                reward_id=reward.reward_id, codes=self.codes, valid_days=reward.voucher_valid_days,
            )
            idempotency.record_in(tx, req, "created", _response_body(redemption))
        tx.put("redemption", redemption, RedemptionItem.pk.does_not_exist())

    def _after_cancelled(self, exc: TxCancelled, req: idempotency.Request, taken: dict[int, int]) -> Result | None:
        """What a cancelled transaction teaches: a replay, fresh stock, a fresh read, new voucher codes; or raise."""
        if idempotency.LABEL in exc.failed:
            return idempotency.replay_after_race(req)
        # The points change's own items (state, profile, ledger entries, buckets: two plans from one read can both
        # write ``L#<at>#<seq>`` in the same millisecond) and the mall's member items all mean: read the member again.
        member_labels = {label for label in exc.failed
                         if label in {"points", "profile", "rlimit", "redemption"}
                         or label.startswith(("entry:", "bucket:"))}
        stock_labels = {f"stock:{k}" for k in taken}
        voucher_labels = {f"voucher:{i}" for i in range(self.quantity)}
        if exc.failed - member_labels - stock_labels - voucher_labels:
            raise exc
        if exc.failed & stock_labels:
            self._refresh_stock()
        if exc.failed & member_labels:
            self.items = None
        if "rlimit" in exc.failed:  # another redemption of this reward counted first: read the count again
            self.count_stale = True
        if exc.failed & voucher_labels:
            self.codes[:] = [fulfillment.new_voucher_code() for _ in range(self.quantity)]
        return None

    def _refresh_stock(self) -> None:
        self.known, self.reward = _refresh_stock(self.reward)
        self.fresh_stock = True


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
    raw, next_cursor = paging.newest_page(customer_id, REDEMPTION_PREFIX, limit, cursor, consistent=True)
    return {"items": [redemption_view(RedemptionItem.from_raw_data(r)) for r in raw], "next_cursor": next_cursor}


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
