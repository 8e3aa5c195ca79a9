"""Rewards of the points mall: definitions (admin-created), the catalogue, and sharded stock.

Stock is split over ``shards`` items, each under its own partition key ``REWARD#<id>#STOCK#<k>``, so a flash sale
spreads its writes over several partitions instead of queueing on one item (one partition key takes about
1,000 WCU/s; a transactional write of a ~100-byte item costs 2 WCU, so one counter item tops out near 500
redemptions/s, and N shards near N x 500). A redemption takes its units from a shard it believes has stock,
conditioned on ``remaining >= units`` (and on the definition's ``ver``): the condition, not the belief, is what
prevents overselling. On a failed condition it reads every shard (one BatchGetItem) and plans again, possibly over
several shards. ``stock_remaining`` is the sum of the shards, cached for a couple of seconds for the catalogue.

Definitions rarely change and are cached in-process (``DEF_CACHE_SECONDS``); every shard carries the ``ver`` of
the definition it belongs to, so a redemption planned from a stale definition fails its shard condition and is
planned again from a fresh read. Nothing on the success path of a redemption reads the definition or the stock.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.core import clock, kpis
from chalicelib.core.config import settings
from chalicelib.core.dynamo import batch, paging
from chalicelib.core.dynamo.tx import Tx
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger, metrics
from chalicelib.mall.models import REWARD_SK, REWARDS_INDEX_PK, STOCK_SK, RewardItem, StockShardItem
from chalicelib.points import public as points

DEF_CACHE_SECONDS = 5.0  # table_cache.MAX_STALENESS_SECONDS: the bound the README states
STOCK_CACHE_SECONDS = 2.0
STOCK_REFUSAL_SECONDS = 1.0
MAX_SHARDS = 32
UNITS_PER_SHARD = 10  # default: one shard per 10 units, at most DEFAULT_MAX_SHARDS
DEFAULT_MAX_SHARDS = 16
FULFILLMENTS = ("in_house", "partner")


def reward_pk(reward_id: str) -> str:
    return f"REWARD#{reward_id}"


def shard_pk(reward_id: str, shard: int) -> str:
    return f"REWARD#{reward_id}#STOCK#{shard}"


def default_shards(stock: int) -> int:
    return max(1, min(DEFAULT_MAX_SHARDS, stock // UNITS_PER_SHARD))


def split_stock(stock: int, shards: int) -> list[int]:
    """``stock`` over ``shards`` as evenly as possible (the first shards take the remainder)."""
    base, extra = divmod(stock, shards)
    return [base + (1 if k < extra else 0) for k in range(shards)]


@dataclass(frozen=True)
class Reward:
    reward_id: str
    name: str
    description: str | None
    points_cost: int
    stock_total: int
    shards: int
    per_member_limit: int | None
    tiers: tuple[str, ...] | None
    fulfillment: str
    partner: str | None
    voucher_valid_days: int
    starts_at: str | None
    ends_at: str | None
    ver: int
    created_at: str
    plus_only: bool = False
    paused: bool = False  # set by an operator (``reward_edits``): not redeemable, still listed

    @classmethod
    def from_item(cls, item: RewardItem) -> Reward:
        return cls(
            reward_id=item.reward_id, name=item.name, description=item.description, points_cost=int(item.points_cost),
            stock_total=int(item.stock_total), shards=int(item.shards), paused=bool(item.paused),
            per_member_limit=int(item.per_member_limit) if item.per_member_limit is not None else None,
            tiers=tuple(item.tiers) if item.tiers else None, fulfillment=item.fulfillment, partner=item.partner,
            voucher_valid_days=int(item.voucher_valid_days or 30), starts_at=item.starts_at, ends_at=item.ends_at,
            ver=int(item.ver or 1), created_at=item.created_at, plus_only=bool(item.plus_only))

    def eligible(self, tier_code: str | None) -> bool:
        return self.tiers is None or (tier_code or "base") in self.tiers

    def open_at(self, when: datetime) -> bool:
        if self.paused or (self.starts_at and when < datetime.fromisoformat(self.starts_at)):
            return False
        return not (self.ends_at and when >= datetime.fromisoformat(self.ends_at))


# --- caches (per table: tests point the app at a fresh table each time) -----------------------------------------

_lock = threading.Lock()
_defs: dict[tuple[str, str], tuple[float, Reward]] = {}
_stock: dict[tuple[str, str], tuple[float, dict[int, int]]] = {}


def reset_cache() -> None:
    with _lock:
        _defs.clear()
        _stock.clear()


def _key(reward_id: str) -> tuple[str, str]:
    return (settings().table_name, reward_id)


def definition(reward_id: str, *, fresh: bool = False) -> Reward:
    """The reward's definition, from the in-process cache (one GetItem when missing or older than 30 s)."""
    key = _key(reward_id)
    now = time.monotonic()
    if not fresh:
        with _lock:
            cached = _defs.get(key)
        if cached and cached[0] > now:
            return cached[1]
    try:
        item = RewardItem.get(reward_pk(reward_id), REWARD_SK, consistent_read=fresh)
    except RewardItem.DoesNotExist:
        raise AppError("not_found") from None
    reward = Reward.from_item(item)
    with _lock:
        _defs[key] = (now + DEF_CACHE_SECONDS, reward)
    return reward


def read_shards(reward: Reward, *, consistent: bool = True) -> dict[int, tuple[int, int]]:
    """Every shard's ``(remaining, ver)`` in one BatchGetItem (chunks of 100 keys); refreshes the stock cache."""
    return _read_shards_of([reward], consistent=consistent).get(reward.reward_id, {})


def _read_shards_of(rewards: list[Reward], *, consistent: bool) -> dict[str, dict[int, tuple[int, int]]]:
    """The shards of several rewards in as few BatchGetItem calls as 100 keys each allow."""
    keys = [(shard_pk(r.reward_id, k), STOCK_SK) for r in rewards for k in range(r.shards)]
    found: dict[str, dict[int, tuple[int, int]]] = {r.reward_id: {} for r in rewards}
    for raw in batch.batch_get(keys, consistent=consistent).values():
        found[raw["reward_id"]["S"]][int(raw["shard"]["N"])] = (int(raw["remaining"]["N"]), int(raw["ver"]["N"]))
    for reward_id, shards in found.items():
        remember_stock(reward_id, {k: r for k, (r, _v) in shards.items()})
        _guard_oversell(reward_id, shards)
    return found


def _guard_oversell(reward_id: str, shards: dict[int, tuple[int, int]]) -> None:
    """A shard below zero means units were sold that did not exist: the condition on every take should make that
    impossible, so it is counted (``StockOversold``, alarmed at anything above 0) and logged, never hidden."""
    oversold = -sum(r for r, _v in shards.values() if r < 0)
    if oversold:
        logger.error("reward stock below zero", extra={"reward_id": reward_id, "oversold": oversold})
        metrics.add_metric(name=kpis.STOCK_OVERSOLD, unit="Count", value=oversold)


def remember_stock(reward_id: str, remaining: dict[int, int]) -> None:
    with _lock:
        _stock[_key(reward_id)] = (time.monotonic() + STOCK_CACHE_SECONDS, dict(remaining))


def known_stock(reward_id: str) -> dict[int, int] | None:
    """What this process last saw of the shards (may be stale: only a hint for choosing shards)."""
    with _lock:
        cached = _stock.get(_key(reward_id))
    return dict(cached[1]) if cached else None


def known_short(reward_id: str, quantity: int) -> bool:
    """True when what this process read of the shards less than ``STOCK_REFUSAL_SECONDS`` ago, less what it sold
    since, holds fewer than ``quantity`` units. Stock only goes down between restocks and refunds, so the answer is
    ``out_of_stock`` without another read: the flood of refusals after a sell-out costs one Query each."""
    with _lock:
        cached = _stock.get(_key(reward_id))
    if not cached:
        return False
    read_at = cached[0] - STOCK_CACHE_SECONDS
    return time.monotonic() - read_at < STOCK_REFUSAL_SECONDS and sum(cached[1].values()) < quantity


def note_taken(reward_id: str, taken: dict[int, int]) -> None:
    """Lower the hint after a successful redemption (the next pick avoids shards this process emptied)."""
    with _lock:
        cached = _stock.get(_key(reward_id))
        if cached:
            remaining = dict(cached[1])
            for k, units in taken.items():
                remaining[k] = max(0, remaining.get(k, 0) - units)
            _stock[_key(reward_id)] = (cached[0], remaining)


def stock_remaining(reward: Reward) -> int:
    """The sum of the shards (cached for ``STOCK_CACHE_SECONDS``; one BatchGetItem when stale)."""
    with _lock:
        cached = _stock.get(_key(reward.reward_id))
    if cached and cached[0] > time.monotonic():
        return sum(cached[1].values())
    return sum(r for r, _v in read_shards(reward, consistent=False).values())


# --- choosing shards ----------------------------------------------------------------------------------------------


def choose_shards(shards: int, quantity: int, known: dict[int, int] | None) -> dict[int, int] | None:
    """Which shards to take ``quantity`` units from: ``{shard: units}``, or None if ``known`` says there is not
    enough stock in all. Without knowledge: one random shard (the condition decides). With it: a random shard
    holding enough (weighted by its stock), else the fewest shards (largest first) that together hold enough."""
    if known is None:
        return {random.randrange(shards): quantity}
    with_stock = [k for k in range(shards) if known.get(k, 0) > 0]
    enough = [k for k in with_stock if known[k] >= quantity]
    if enough:  # weighted by what each holds: fewer requests pile onto a shard that is nearly empty
        return {random.choices(enough, weights=[known[k] for k in enough])[0]: quantity}
    if sum(known[k] for k in with_stock) < quantity:
        return None
    plan: dict[int, int] = {}
    left = quantity
    for k in sorted(with_stock, key=lambda s: (-known[s], random.random())):
        take = min(left, known[k])
        plan[k] = take
        left -= take
        if not left:
            break
    return plan


def take_in(tx: Tx, reward: Reward, taken: dict[int, int]) -> None:
    """Decrement the chosen shards in ``tx``: labels ``stock:<k>``, each conditioned on enough remaining and on the
    definition's version."""
    for k, units in sorted(taken.items()):
        tx.update(
            f"stock:{k}",
            StockShardItem(pk=shard_pk(reward.reward_id, k), sk=STOCK_SK),
            [StockShardItem.remaining.add(-units)],
            (StockShardItem.remaining >= units) & (StockShardItem.ver == reward.ver),
        )


# --- admin --------------------------------------------------------------------------------------------------------


def new_reward_id() -> str:
    return f"rwd_{secrets.token_hex(8)}"


def create_reward(
    *,
    name: str,
    points_cost: int,
    stock: int,
    fulfillment: str,
    staff_id: str | None,
    per_member_limit: int | None = None,
    tiers: list[str] | None = None,
    plus_only: bool = False,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    description: str | None = None,
    partner: str | None = None,
    voucher_valid_days: int = 30,
    stock_shards: int | None = None,
    reward_id: str | None = None,
) -> str:
    """Write the definition and its stock shards in one transaction; returns the reward ID."""

    if fulfillment not in FULFILLMENTS:
        raise AppError("validation_error", details=[{"field": "fulfillment", "issue": "must be in_house or partner"}])
    if tiers:
        known = {t.code for t in points.current().tiers}
        unknown = sorted(set(tiers) - known)
        if unknown:
            raise AppError("validation_error", details=[{"field": "tiers", "issue": f"unknown tiers: {unknown}"}])
    if starts_at and ends_at and ends_at <= starts_at:
        raise AppError("validation_error", details=[{"field": "ends_at", "issue": "must be after starts_at"}])
    shards = stock_shards or default_shards(stock)
    reward_id = reward_id or new_reward_id()
    at = clock.now_iso()
    item = RewardItem(
        pk=reward_pk(reward_id), sk=REWARD_SK, reward_id=reward_id, name=name, description=description,
        points_cost=points_cost, stock_total=stock, shards=shards, per_member_limit=per_member_limit,
        tiers=sorted(set(tiers)) if tiers else None, plus_only=plus_only or None, fulfillment=fulfillment,
        partner=(partner or "simulated_partner") if fulfillment == "partner" else None,
        voucher_valid_days=voucher_valid_days, starts_at=starts_at.isoformat() if starts_at else None,
        ends_at=ends_at.isoformat() if ends_at else None, ver=1, created_at=at, created_by=staff_id,
        gsi1pk=REWARDS_INDEX_PK, gsi1sk=f"{at}#{reward_id}",
    )
    tx = Tx()
    tx.put("reward", item, RewardItem.pk.does_not_exist())
    for k, units in enumerate(split_stock(stock, shards)):
        tx.put(
            f"stock:{k}",
            StockShardItem(pk=shard_pk(reward_id, k), sk=STOCK_SK, reward_id=reward_id, shard=k, remaining=units,
                           ver=1),
        )
    tx.commit()
    with _lock:
        _defs[_key(reward_id)] = (time.monotonic() + DEF_CACHE_SECONDS, Reward.from_item(item))
    remember_stock(reward_id, dict(enumerate(split_stock(stock, shards))))
    logger.info("reward created", extra={"reward_id": reward_id, "stock": stock, "shards": shards,
                                         "staff_id": staff_id})
    return reward_id


# --- catalogue ----------------------------------------------------------------------------------------------------


def view(reward: Reward, stock_left: int | None = None) -> dict[str, Any]:
    now = clock.now()
    left = stock_remaining(reward) if stock_left is None else stock_left
    return {
        "reward_id": reward.reward_id,
        "name": reward.name,
        "description": reward.description,
        "points_cost": reward.points_cost,
        "stock_remaining": left,
        "tiers": list(reward.tiers) if reward.tiers else None,
        "plus_only": reward.plus_only,
        "fulfillment": reward.fulfillment,
        "per_member_limit": reward.per_member_limit,
        "starts_at": reward.starts_at,
        "ends_at": reward.ends_at,
        "available": reward.open_at(now) and left > 0,
    }


def get_view(reward_id: str) -> dict[str, Any]:
    return view(definition(reward_id))


def list_view(limit: int, cursor: str | None) -> dict[str, Any]:
    """Newest first from the ``REWARDS`` partition of ``gsi1``; stock from the shards (cached)."""
    start = None
    if cursor:
        sk = paging.decode_cursor(cursor, "")
        start = {"pk": reward_pk(sk.rsplit("#", 1)[-1]), "sk": REWARD_SK, "gsi1pk": REWARDS_INDEX_PK, "gsi1sk": sk}
    raw, more = paging.index_page("gsi1", REWARDS_INDEX_PK, limit, ascending=False, start=start)
    items = [RewardItem.from_raw_data(r) for r in raw]
    rewards = [Reward.from_item(i) for i in items]
    now = time.monotonic()
    with _lock:
        for r in rewards:
            _defs[_key(r.reward_id)] = (now + DEF_CACHE_SECONDS, r)
    stale = [r for r in rewards if not _stock_fresh_for_catalogue(r.reward_id)]
    if stale:  # one BatchGetItem for the page's shards (per 100), not one per reward
        _read_shards_of(stale, consistent=False)
    return {
        "items": [view(r) for r in rewards],
        "next_cursor": paging.encode_cursor(items[-1].gsi1sk) if more and items else None,
    }


def _stock_fresh_for_catalogue(reward_id: str) -> bool:
    with _lock:
        cached = _stock.get(_key(reward_id))
    return bool(cached and cached[0] > time.monotonic())


# --- the local stack's catalogue ------------------------------------------------------------------------------------

SEED_REWARDS: tuple[dict[str, Any], ...] = (
    {"reward_id": "rwd_local_coffee", "name": "门店咖啡兑换券", "description": "任意门店兑换中杯咖啡一杯",
     "points_cost": 200, "stock": 500, "fulfillment": "in_house", "per_member_limit": 5, "voucher_valid_days": 30},
    {"reward_id": "rwd_local_video_vip", "name": "视频会员月卡", "description": "合作方发放的会员兑换码",
     "points_cost": 800, "stock": 200, "fulfillment": "partner", "partner": "simulated_partner",
     "per_member_limit": 2},
    {"reward_id": "rwd_local_flash", "name": "限量秒杀：保温杯", "description": "秒杀专区，100 件，16 个库存分片",
     "points_cost": 100, "stock": 100, "fulfillment": "in_house", "stock_shards": 16, "per_member_limit": 1},
    {"reward_id": "rwd_local_gold_lounge", "name": "金卡专享：贵宾休息室体验", "points_cost": 1500, "stock": 50,
     "fulfillment": "in_house", "tiers": ["gold", "platinum"]},
)


def seed_defaults() -> None:
    """Create the local stack's rewards if absent (idempotent: fixed IDs, conditional create). One of them is
    fulfilled by the simulated partner, one is a flash sale over 16 stock shards, one is for gold and up."""
    from chalicelib.core.dynamo.tx import TxCancelled

    for spec in SEED_REWARDS:
        try:
            create_reward(staff_id="seed", **spec)
        except TxCancelled as exc:
            if "reward" not in exc.failed:
                raise
