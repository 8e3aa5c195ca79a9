"""The benefits zone of a member: what their tier gets with the quota left, claims that issue vouchers, and one-off
grants (the opening gift pack; birthday benefits through ``birthdays.py``). The catalogue itself is ``definitions.py``.

Reading (``GET /v1/benefits``)
    One strongly consistent Query of the member's ``M#`` items returns the profile and the points state (the tier
    held today, as ``/v1/me`` shows it), the quota counters and the gift markers. Benefits of the member's tier are
    ``eligible``; benefits that only higher tiers get are listed as locked with the lowest tier that unlocks them.

Claiming (``POST /v1/benefits/{id}/claims``, Idempotency-Key)
    One GetItem of the idempotency record (a replay is answered there), the same one Query, then ONE
    TransactWriteItems: the quota counter ``M#QNOW#<benefit>`` is incremented on condition that it holds the current
    period and ``count < per_period`` (the first claim of a new period replaces it, on condition that it still holds
    the period read), the voucher is put in the member's partition, and the idempotency record stores the answer.
    Simultaneous claims can all pass the read check, but only ``per_period`` of them can pass the counter's
    condition: the quota is never exceeded. A claim that lost on the counter reads the member again and decides
    again (``quota_exhausted`` if the quota is now used up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.benefits import quota, vouchers
from chalicelib.benefits.definitions import MAX_GIFT_VOUCHERS, Benefit, definitions, find
from chalicelib.benefits.models import (
    BIRTHDAY_NOW_SK,
    GIFTPACK_SK,
    OLD_BIRTHDAY_PREFIX,
    QUOTA_NOW_PREFIX,
    QUOTA_PREFIX,
    GiftMarkerItem,
    QuotaCounterItem,
)
from chalicelib.core import clock, idempotency, results
from chalicelib.core.calendar import business_day, period_window
from chalicelib.core.dynamo import keys, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.overlay import overlay
from chalicelib.core.results import Result
from chalicelib.identity.public import CustomerItem
from chalicelib.points import public as points

CLAIM_SCOPE = "POST /v1/benefits/{benefit_id}/claims"




MAX_CLAIM_ATTEMPTS = 8




@dataclass
class MemberBenefitState:
    """What the one Query told about the member's benefits: quota counters and gift markers."""

    counters: dict[str, tuple[str, int]]  # benefit id -> (period key, count) of its current counter
    old_counters: dict[str, int]  # old layout: counter sort key -> count
    gift_pack: dict[str, int]  # benefit id -> vouchers issued by the opening gift pack
    birthdays: dict[int, dict[str, int]]  # year -> benefit id -> vouchers issued

    @classmethod
    def from_items(cls, items: points.MemberItems) -> MemberBenefitState:
        counters: dict[str, tuple[str, int]] = {}
        old: dict[str, int] = {}
        gift: dict[str, int] = {}
        birthdays: dict[int, dict[str, int]] = {}
        for raw in items.others:
            sk = raw.get("sk", {}).get("S", "")
            if sk.startswith(QUOTA_NOW_PREFIX):
                counters[sk[len(QUOTA_NOW_PREFIX):]] = (raw.get("period_key", {}).get("S", ""),
                                                        int(raw.get("count", {}).get("N", "0")))
            elif sk.startswith(QUOTA_PREFIX + quota.COUNTER_PREFIX + "#"):
                old[sk] = int(raw.get("count", {}).get("N", "0"))
            elif sk == GIFTPACK_SK:
                gift = dict(GiftMarkerItem.from_raw_data(raw).issued or {})
            elif sk == BIRTHDAY_NOW_SK:
                marker = GiftMarkerItem.from_raw_data(raw)
                birthdays[int(marker.year or 0)] = dict(marker.issued or {})
            elif sk.startswith(OLD_BIRTHDAY_PREFIX) and sk[len(OLD_BIRTHDAY_PREFIX):].isdigit():
                birthdays.setdefault(int(sk[len(OLD_BIRTHDAY_PREFIX):]),
                                     dict(GiftMarkerItem.from_raw_data(raw).issued or {}))
        return cls(counters, old, gift, birthdays)

    def counted(self, benefit_id: str, customer_id: str, period_key: str) -> tuple[int, str | None]:
        """Claims of the period ``period_key`` so far, and the period the current counter holds (None: no counter;
        a counter of the old layout for this period is read the same way)."""
        held, count = self.counters.get(benefit_id, ("", 0))
        if held == period_key:
            return count, held
        old = self.old_counters.get(QUOTA_PREFIX + quota.counter_key(benefit_id, customer_id, period_key))
        return (old or 0), (held or None)

    def used(self, benefit: Benefit, customer_id: str, now: datetime) -> tuple[int, str | None]:
        """Vouchers of ``benefit`` issued in the period containing ``now``, and when that period ends."""
        if benefit.trigger == "opening_gift":
            return int(self.gift_pack.get(benefit.benefit_id, 0)), None
        if benefit.trigger == "birthday":
            year = business_day(now).year
            window = period_window("year", now)
            ends = window.ends_at.isoformat() if window.ends_at else None
            return int(self.birthdays.get(year, {}).get(benefit.benefit_id, 0)), ends
        window = period_window(benefit.period, now)
        used, _held = self.counted(benefit.benefit_id, customer_id, window.key)
        return used, (window.ends_at.isoformat() if window.ends_at else None)


def _unlock_tier(benefit: Benefit, held: points.TierDefinition,
                 catalogue: tuple[points.TierDefinition, ...]) -> points.TierDefinition | None:
    higher = [t for t in catalogue if t.rank > held.rank and t.code in benefit.tiers]
    return min(higher, key=lambda t: t.rank) if higher else None


def zone(customer_id: str) -> dict[str, Any]:
    """``GET /v1/benefits``: one Query (definitions and tiers come from in-process caches)."""
    items = points.load_member(customer_id, consistent=True)
    now = clock.now()
    held = points.held_tier(items, business_day(now))
    catalogue = points.current().tiers
    state = MemberBenefitState.from_items(items)
    mine: list[tuple[int, dict[str, Any]]] = []
    locked: list[tuple[int, dict[str, Any]]] = []
    plus = overlay().holds(items.others, now)
    for benefit in definitions():
        if not benefit.active:
            continue
        eligible = held.code in benefit.tiers and (plus or not benefit.plus_only)
        unlock = None if eligible else _unlock_tier(benefit, held, catalogue)
        if not eligible and unlock is None and not (benefit.plus_only and held.code in benefit.tiers):
            continue  # only lower tiers get it (a Plus-only one of the member's tier shows locked: Plus unlocks it)
        used, resets_at = state.used(benefit, items.customer_id, now)
        entry = {
            "benefit_id": benefit.benefit_id,
            "name": benefit.name,
            "description": benefit.description,
            "kind": benefit.kind,
            "trigger": benefit.trigger,
            "eligible": eligible,
            "tiers": list(benefit.tiers),
            "quota": {
                "per_period": benefit.per_period,
                "period": benefit.period,
                "used": used,
                "remaining": quota.remaining(benefit.per_period, benefit.period, used) if eligible else 0,
                "resets_at": resets_at,
            },
            "voucher_valid_days": benefit.voucher_valid_days,
            "unlock_tier": {"code": unlock.code, "name": unlock.name} if unlock else None,
            "plus_only": benefit.plus_only,
        }
        (mine if eligible else locked).append((unlock.rank if unlock else 0, entry))
    locked.sort(key=lambda pair: pair[0])  # stable: the nearest upgrade first, then in creation order
    return {
        "tier": {"code": held.code, "name": held.name, "badge": held.badge},
        "items": [entry for _, entry in mine] + [entry for _, entry in locked],
        "next_cursor": None,
    }


def _claim_tx(
    req: idempotency.Request, benefit: Benefit, customer_id: str, status: quota.QuotaStatus, channel: str | None,
    held: str | None,
) -> tuple[Tx, dict[str, Any]]:
    """``held``: the period the member's current counter holds as read (None: no counter)."""
    now = clock.now()
    voucher = vouchers.new_voucher(
        customer_id, benefit_id=benefit.benefit_id, name=benefit.name, kind=benefit.kind,
        valid_days=benefit.voucher_valid_days, source="claim", at=now, period_key=status.period_key, channel=channel,
    )
    body = {
        "voucher_id": voucher.voucher_id,
        "benefit_id": benefit.benefit_id,
        "expires_at": voucher.expires_at,
        "name": benefit.name,
        "kind": benefit.kind,
        "status": "available",
        "period_key": status.period_key,
        "created_at": voucher.created_at,
    }
    counter = QuotaCounterItem(pk=keys.customer_pk(customer_id), sk=QUOTA_NOW_PREFIX + benefit.benefit_id)
    ttl = int(status.counter_expires_at.timestamp()) if status.counter_expires_at is not None else None
    tx = Tx()
    if held == status.period_key:
        tx.update("quota", counter, [QuotaCounterItem.count.add(1)],
                  (QuotaCounterItem.period_key == held) & (QuotaCounterItem.count < benefit.per_period))
    else:  # the period's first claim here (its count so far from the old layout's counter, if any)
        counter.benefit_id, counter.period_key, counter.count, counter.ttl = (
            benefit.benefit_id, status.period_key, status.used + 1, ttl)
        tx.put("quota", counter,
               QuotaCounterItem.pk.does_not_exist() if held is None else QuotaCounterItem.period_key == held)
    vouchers.put_in(tx, voucher)
    if benefit.plus_only:  # a use of what only the overlay gives: its refund is refused from now on
        overlay().record_use(tx, customer_id, "benefit", benefit.benefit_id)
    idempotency.record_in(tx, req, "created", body)
    return tx, body


def claim(customer_id: str, benefit_id: str, idempotency_key: str | None, channel: str | None = None) -> Result:
    """Issue a voucher of ``benefit_id`` within its quota: one Query, one TransactWriteItems (see the module doc).

    403 ``tier_not_eligible``, 409 ``quota_exhausted`` / ``benefit_not_available``, 404 for an unknown benefit; a
    repeated Idempotency-Key replays the first answer (422 if it named another benefit).
    """
    req = idempotency.request(keys.customer_pk(customer_id), CLAIM_SCOPE, idempotency_key, {"benefit_id": benefit_id})
    stored = idempotency.get(req)  # one GetItem: a replay is answered here
    if stored is not None:
        return idempotency.replay_response(stored)
    items = points.load_member(customer_id, consistent=True)
    cid = items.customer_id
    req, stored = idempotency.owner_moved(req, keys.customer_pk(cid), items.others)
    if stored is not None:
        return idempotency.replay_response(stored)
    benefit = find(benefit_id)
    if benefit is None:
        raise AppError("not_found")
    if not benefit.active or benefit.trigger != "claim":
        raise AppError("benefit_not_available")
    now = clock.now()
    if points.held_tier(items, business_day(now)).code not in benefit.tiers:
        raise AppError("tier_not_eligible")
    if benefit.plus_only and not overlay().holds(items.others, now):
        raise AppError("plus_required")
    def once(attempt: int) -> Result:
        nonlocal items
        if attempt:
            items = points.load_member(cid, consistent=True)
        period_key = period_window(benefit.period, now).key
        used, held = MemberBenefitState.from_items(items).counted(benefit.benefit_id, cid, period_key)
        try:
            status = quota.check_claim(benefit.quota, benefit.benefit_id, cid, now, used)
        except quota.QuotaExhausted:
            raise AppError("quota_exhausted") from None
        tx, body = _claim_tx(req, benefit, cid, status, channel, held)
        try:
            tx.commit()
        except TxCancelled as exc:
            if (replayed := idempotency.replay_if_recorded(req, exc)) is not None:
                return replayed
            if "quota" in exc.failed and held == status.period_key:
                raise AppError("quota_exhausted") from None
            if "quota" in exc.failed or exc.conflict:  # another claim began the period first: read again, decide
                raise retry.Again from None
            raise
        logger.info("benefit claimed", extra={"customer_id": cid, "benefit_id": benefit_id,
                                              "voucher_id": body["voucher_id"], "period_key": status.period_key})
        return results.created(body)
    return retry.until_committed(once, limit=MAX_CLAIM_ATTEMPTS, what="benefit claim", customer_id=cid,
                                 benefit_id=benefit_id)


def grant_items(
    tx: Tx, customer_id: str, tier_code: str, trigger: str, marker_sk: str, label: str, channel: str | None = None,
    year: int | None = None,
) -> list[str]:
    """Add to ``tx`` the vouchers of every active ``trigger`` benefit for ``tier_code`` and the marker ``marker_sk``
    (put on condition that it does not exist: ``label`` fails if the grant was already made), and with ``year`` this
    year's copy ``M#BDAYNOW``. Returns the voucher ids; nothing is added when no benefit applies."""
    now = clock.now()
    chosen = [b for b in definitions() if b.active and b.trigger == trigger and tier_code in b.tiers]
    issued: dict[str, int] = {}
    voucher_ids: list[str] = []
    for benefit in chosen:
        for _ in range(benefit.per_period):
            if len(voucher_ids) >= MAX_GIFT_VOUCHERS:
                logger.warning("grant truncated", extra={"trigger": trigger, "customer_id": customer_id})
                break
            voucher = vouchers.new_voucher(
                customer_id, benefit_id=benefit.benefit_id, name=benefit.name, kind=benefit.kind,
                valid_days=benefit.voucher_valid_days, source=trigger, at=now, channel=channel,
            )
            vouchers.put_in(tx, voucher, f"voucher:{voucher.voucher_id}")
            issued[benefit.benefit_id] = issued.get(benefit.benefit_id, 0) + 1
            voucher_ids.append(voucher.voucher_id)
    if chosen:
        marker = GiftMarkerItem(pk=keys.customer_pk(customer_id), sk=marker_sk, issued=issued,
                                vouchers=voucher_ids, created_at=clock.iso(now))
        tx.put(label, marker, GiftMarkerItem.pk.does_not_exist())
        if year is not None:  # a yearly grant: a copy where the bounded member read finds this year's (M#BDAYNOW)
            tx.put(f"{label}_now", GiftMarkerItem(pk=marker.pk, sk=BIRTHDAY_NOW_SK, issued=issued,
                                                 vouchers=voucher_ids, created_at=marker.created_at, year=year))
    return voucher_ids


def migrate_seed(customer_id: str, raw: dict[str, Any]) -> list[Any]:
    """``Area.migrate_seed``: moving an old-layout counter of the current period (or this year's birthday marker)
    also puts it where the bounded read finds it now (``M#QNOW#<benefit>``, ``M#BDAYNOW``), if absent."""
    sk, now = raw["sk"]["S"], clock.now()
    if sk.startswith(QUOTA_PREFIX + quota.COUNTER_PREFIX + "#"):
        old = QuotaCounterItem.from_raw_data(raw)
        benefit = find(old.benefit_id)
        if benefit is None or period_window(benefit.period, now).key != old.period_key:
            return []
        return [QuotaCounterItem(pk=old.pk, sk=QUOTA_NOW_PREFIX + old.benefit_id, benefit_id=old.benefit_id,
                                 period_key=old.period_key, count=int(old.count), ttl=old.ttl)]
    year = sk[len(OLD_BIRTHDAY_PREFIX):]
    if sk.startswith(OLD_BIRTHDAY_PREFIX) and year == str(business_day(now).year):
        marker = GiftMarkerItem.from_raw_data(raw)
        return [GiftMarkerItem(pk=marker.pk, sk=BIRTHDAY_NOW_SK, issued=marker.issued, vouchers=marker.vouchers,
                               created_at=marker.created_at, year=int(year))]
    return []


def opening_gift_hook(tx: Tx, customer: CustomerItem) -> None:
    """``Area.enrolment`` of benefits: the opening gift pack, in the very transaction that creates the customer.

    The pack exists exactly when the customer does: concurrent first sign-ins of one person converge on one
    customer (only one creating transaction commits), so the pack is issued once; a marker ``M#GIFTPACK`` (put if
    absent) records it for the zone's view. New members hold the lowest tier (``tier_code`` of the new profile).
    """
    grant_items(tx, customer.customer_id, customer.tier_code, "opening_gift", GIFTPACK_SK, "gift_pack",
                channel=customer.created_channel)
