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
the partner is called (``partner_fulfilment``) with the redemption ID as its idempotency key. Success: a third
write completes the redemption and the idempotency record (201). Failure: the redemption stays
``pending_fulfillment``, the points stay debited once, the retry port sends the transaction to the retry queue, and
the answer is 202 ``{"transaction_id", "status": "retrying"}``. The retry handler (``retry_fulfilment``) redoes only
the partner call.
"""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.core import clock, idempotency, results
from chalicelib.core.dynamo import keys, member_layout, retry
from chalicelib.core.dynamo.batch import batch_get
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.overlay import overlay
from chalicelib.core.results import Result
from chalicelib.core.retry import outbox
from chalicelib.core.retry.transactions import Transaction
from chalicelib.mall import fulfillment, rewards
from chalicelib.mall.models import REDEMPTION_PREFIX, RETRY_KIND, RLIMIT_PREFIX, RedeemCountItem, RedemptionItem
from chalicelib.mall.partner_fulfilment import TRANSIENT, fulfil_now
from chalicelib.mall.redemption_views import accepted_body, response_body
from chalicelib.mall.rewards import Reward
from chalicelib.points import public as points
from chalicelib.points.public import MemberItems, PointsState

ROUTE = "POST /v1/redemptions"


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
    def once(_: int) -> Result:
        result = attempt.once()
        if result is None:  # a read failed for a moment, a race was lost or the stock was stale: try again
            raise retry.Again
        return result
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="redemption", customer_id=customer_id,
                                 reward_id=reward_id)


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
        tx = Tx()  # the points change, then the mall's items: one transaction
        spent = points.spend_in(tx, state, cost, kind="redemption", reference=self.redemption_id,
                                channel=self.channel, field="quantity")
        taken = rewards.choose_shards(self.reward.shards, self.quantity, self.known)
        if taken is None:
            if self.fresh_stock or rewards.known_short(self.reward.reward_id, self.quantity):
                raise AppError("out_of_stock")
            self._refresh_stock()
            return None
        redemption = self._redemption_item(owner, cost, spent.balance_after, taken)
        txn = Transaction(self.transaction_id, owner, RETRY_KIND, self.redemption_id,
                          {"redemption_id": self.redemption_id, "reward_id": self.reward.reward_id,
                           "quantity": self.quantity, "partner": self.reward.partner})
        self._add_items(tx, taken, count, redemption, req, txn)
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
            return results.created(response_body(redemption))
        return fulfil_now(self.reward, redemption, txn, req)

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
        """The mall's items, added to the transaction that holds the points change (``points.spend_in``)."""
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
            idempotency.record_in(tx, req, "accepted", accepted_body(self.redemption_id, self.transaction_id),
                                  provisional=True)
        else:
            redemption.vouchers = self.codes
            redemption.voucher_expires_at = fulfillment.issue_vouchers_in(
                tx, customer_id=redemption.customer_id, redemption_id=self.redemption_id,
                reward_id=reward.reward_id, codes=self.codes, valid_days=reward.voucher_valid_days,
            )
            idempotency.record_in(tx, req, "created", response_body(redemption))
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
