"""An operator edits a reward: name, description, points cost, per-member limit, paused, and stock added or removed.

One edit is one TransactWriteItems of the definition and every stock shard (at most ``rewards.MAX_SHARDS`` + 1
items, + 2 for the audit record: within DynamoDB's 100):

- the definition: the changed fields and ``ver`` + 1, conditioned on the ``ver`` read (two edits never interleave;
  a caller that names the ``ver`` it saw gets 409 ``reward_edit_conflict`` if someone edited since);
- each shard: ``ver`` + 1 (conditioned on the old ``ver``), and the units it gains or loses. Added stock is spread
  evenly over the shards; removed stock is taken evenly from those that hold some, each conditioned on
  ``remaining >= units``. A redemption that took units between our read and our write fails that condition and the
  edit is planned again from a fresh read; removing more than is unsold is 409 ``stock_removal_exceeds_unsold``.

Because every shard moves to the new ``ver``, a redemption planned from a definition cached before the edit (a new
price, a pause) fails its shard condition and is planned again from a fresh read (see ``rewards``): nothing is ever
sold at the old terms after the edit commits, and no shard can go below zero.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core import clock
from chalicelib.core.audit import scope as audit
from chalicelib.core.dynamo import retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.mall import rewards
from chalicelib.mall.models import REWARD_SK, STOCK_SK, RewardItem, StockShardItem

MAX_ATTEMPTS = 10
EDITABLE = ("name", "description", "points_cost", "per_member_limit", "paused")


def removal_plan(remaining: dict[int, int], units: int) -> dict[int, int] | None:
    """``units`` taken as evenly as possible from the shards that hold some: ``{shard: units}``, or None when they
    hold fewer than ``units`` altogether. Each round gives every holder an even share (capped at what it holds); a
    round either finishes or empties a shard, so there are at most ``len(remaining)`` + 1 rounds."""
    left_in = {k: max(0, r) for k, r in remaining.items()}
    if sum(left_in.values()) < units:
        return None
    take = dict.fromkeys(remaining, 0)
    left = units
    while left:
        holders = sorted((k for k in left_in if left_in[k] > take[k]), key=lambda k: -(left_in[k] - take[k]))
        for k, share in zip(holders, rewards.split_stock(left, len(holders)), strict=True):
            got = min(share, left_in[k] - take[k])
            take[k] += got
            left -= got
    return {k: v for k, v in take.items() if v}


def _read(reward_id: str) -> tuple[RewardItem, dict[int, int]]:
    """The definition (one consistent GetItem) and its shards' remaining units (one consistent BatchGetItem)."""
    try:
        item = RewardItem.get(rewards.reward_pk(reward_id), REWARD_SK, consistent_read=True)
    except RewardItem.DoesNotExist:
        raise AppError("not_found") from None
    shards = rewards.read_shards(rewards.Reward.from_item(item), consistent=True)
    return item, {k: shards.get(k, (0, 0))[0] for k in range(int(item.shards))}


def _plan_stock(remaining: dict[int, int], change: int) -> dict[int, int]:
    """Units added (positive) or taken (negative) per shard."""
    if change >= 0:
        return dict(enumerate(rewards.split_stock(change, len(remaining))))
    taken = removal_plan(remaining, -change)
    if taken is None:
        unsold = sum(max(0, r) for r in remaining.values())
        raise AppError("stock_removal_exceeds_unsold",
                       details=[{"field": "stock_change", "issue": f"only {unsold} unsold: remove at most {unsold}"}])
    return {k: -units for k, units in taken.items()}


def _before(item: RewardItem, fields: dict[str, Any]) -> dict[str, Any]:
    """What the edited fields held (numbers as whole numbers: pynamodb reads them as floats)."""
    out = {name: (bool(item.paused) if name == "paused" else getattr(item, name)) for name in fields}
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in out.items()}


def edit(reward_id: str, fields: dict[str, Any], stock_change: int, staff_id: str,
         expected_ver: int | None = None) -> dict[str, Any]:
    """Apply the edit (``fields``: any of ``EDITABLE``, ``None`` clears an optional one); returns the admin view."""
    def once(_: int) -> dict[str, Any]:
        item, remaining = _read(reward_id)
        ver = int(item.ver or 1)
        if expected_ver is not None and expected_ver != ver:
            raise AppError("reward_edit_conflict",
                           details=[{"field": "ver", "issue": f"the reward is at version {ver}"}])
        per_shard = _plan_stock(remaining, stock_change) if stock_change else {}
        total = int(item.stock_total)  # the audit record rides on the edit's own transaction: say it first
        audit.note(before={**_before(item, fields), **({"stock_total": total} if stock_change else {})},
                   after={**fields, **({"stock_total": total + stock_change} if stock_change else {})})
        try:
            _commit(item, ver, fields, stock_change, per_shard, staff_id)
        except TxCancelled:
            # a redemption took stock, or another edit came first: plan again from a fresh read
            raise retry.Again from None
        logger.info("reward edited", extra={"reward_id": reward_id, "fields": sorted(fields), "ver": ver + 1,
                                            "stock_change": stock_change, "staff_id": staff_id})
        return admin_view(reward_id)
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="reward edit", reward_id=reward_id)


def _commit(item: RewardItem, ver: int, fields: dict[str, Any], stock_change: int, per_shard: dict[int, int],
            staff_id: str) -> None:
    reward_id = item.reward_id
    actions: list[Any] = [RewardItem.ver.set(ver + 1), RewardItem.updated_at.set(clock.now_iso()),
                          RewardItem.updated_by.set(staff_id)]
    for name, value in fields.items():
        attr = getattr(RewardItem, name)
        actions.append(attr.remove() if value is None or (name == "paused" and not value) else attr.set(value))
    if stock_change:
        actions.append(RewardItem.stock_total.add(stock_change))
    tx = Tx()
    tx.update("reward", RewardItem(pk=rewards.reward_pk(reward_id), sk=REWARD_SK), actions, RewardItem.ver == ver)
    for k in range(int(item.shards)):
        units = per_shard.get(k, 0)
        shard_actions: list[Any] = [StockShardItem.ver.set(ver + 1)]
        condition = StockShardItem.ver == ver
        if units:
            shard_actions.append(StockShardItem.remaining.add(units))
        if units < 0:
            condition = condition & (StockShardItem.remaining >= -units)
        tx.update(f"stock:{k}", StockShardItem(pk=rewards.shard_pk(reward_id, k), sk=STOCK_SK), shard_actions,
                  condition)
    tx.commit()


def admin_view(reward_id: str) -> dict[str, Any]:
    """What an operator edits, read fresh: the definition and each shard's remaining units (refreshes this process's
    caches, so its own catalogue shows the edit at once; other processes within ``rewards.DEF_CACHE_SECONDS``)."""
    reward = rewards.definition(reward_id, fresh=True)
    shards = rewards.read_shards(reward, consistent=True)
    per_shard = [shards.get(k, (0, 0))[0] for k in range(reward.shards)]
    item_view = rewards.view(reward, stock_left=sum(per_shard))
    return {
        "reward_id": reward.reward_id, "name": reward.name, "description": reward.description,
        "points_cost": reward.points_cost, "per_member_limit": reward.per_member_limit, "paused": reward.paused,
        "fulfillment": reward.fulfillment, "stock_total": reward.stock_total, "stock_remaining": sum(per_shard),
        "stock_by_shard": per_shard, "available": item_view["available"], "ver": reward.ver,
    }
