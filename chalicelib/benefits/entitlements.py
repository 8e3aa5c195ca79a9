"""The benefits zone: operator-configured benefits per tier, quotas per period, claims that issue vouchers, and the
opening gift pack for new members (birthday benefits: ``benefits_birthday.py``).

Definitions
    Every benefit is ``CONFIG#BENEFITS`` / ``BENEFIT#<id>``; all of them are read with one Query and cached
    in-process for ``CACHE_SECONDS`` (an operator's change is live everywhere within that time; an admin write
    clears the cache of the process that made it). A benefit names the tiers that get it: benefits are chosen per
    tier, not "more at each level". ``trigger`` says how it is issued: ``claim`` (in the zone, within a quota of
    ``per_period`` per ``day | week | month | year | lifetime`` on the Asia/Shanghai calendar, ISO weeks),
    ``opening_gift`` (``per_period`` vouchers once, when the member enrols) or ``birthday`` (``per_period`` vouchers
    a year, in the birthday month).

Reading (``GET /v1/benefits``)
    One strongly consistent Query of the member's ``M#`` items returns the profile and the points state (the tier
    held today, as ``/v1/me`` shows it), the quota counters and the gift markers. Benefits of the member's tier are
    ``eligible``; benefits that only higher tiers get are listed as locked with the lowest tier that unlocks them.

Claiming (``POST /v1/benefits/{id}/claims``, Idempotency-Key)
    The same one Query (plus the idempotency record, found in it), then ONE TransactWriteItems: the quota counter
    ``M#QUOTA#<benefit>#<customer>#<period key>`` is incremented on condition ``count < per_period``, the voucher
    is put in the member's partition, and the idempotency record stores the answer. Simultaneous claims can all
    pass the read check, but only ``per_period`` of them can pass the counter's condition: the quota is never
    exceeded. A new period is a new counter key, so nothing is ever reset.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.benefits import quota, vouchers
from chalicelib.benefits.models import (
    BENEFIT_PREFIX,
    BENEFITS_PK,
    BIRTHDAY_PREFIX,
    GIFTPACK_SK,
    QUOTA_PREFIX,
    BenefitItem,
    GiftMarkerItem,
    QuotaCounterItem,
)
from chalicelib.core import clock, idempotency, results
from chalicelib.core.calendar import PERIODS, business_day, period_window
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.table_cache import TableCache
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result
from chalicelib.identity.models import CustomerItem
from chalicelib.points import bookkeeping, programme, tiers

CACHE_SECONDS = 5.0  # table_cache.MAX_STALENESS_SECONDS: the bound the README states
CLAIM_SCOPE = "POST /v1/benefits/{benefit_id}/claims"
TRIGGERS = ("claim", "opening_gift", "birthday")
TRIGGER_PERIOD = {"opening_gift": "lifetime", "birthday": "year"}  # gifts: per_period vouchers once per period
KINDS = ("free_shipping", "member_price", "partner_membership", "points_multiplier", "coupon", "gift", "service")
MAX_GIFT_VOUCHERS = 20  # vouchers of one grant (pack or birthday): they share one transaction with other items
MAX_CLAIM_ATTEMPTS = 8


@dataclass(frozen=True)
class Benefit:
    benefit_id: str
    name: str
    description: str | None
    kind: str
    trigger: str
    tiers: tuple[str, ...]
    per_period: int
    period: str
    voucher_valid_days: int
    status: str
    ver: int
    created_at: str
    created_by: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def quota(self) -> quota.Quota:
        return quota.Quota(self.per_period, self.period)

    def as_dict(self) -> dict[str, Any]:
        """The operator's view (``/v1/admin/benefits``)."""
        return {
            "benefit_id": self.benefit_id,
            "name": self.name,
            "description": self.description,
            "kind": self.kind,
            "trigger": self.trigger,
            "tiers": list(self.tiers),
            "quota": {"per_period": self.per_period, "period": self.period},
            "voucher_valid_days": self.voucher_valid_days,
            "status": self.status,
            "ver": self.ver,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "updated_at": self.updated_at,
            "updated_by": self.updated_by,
        }

    @classmethod
    def from_item(cls, item: BenefitItem) -> Benefit:
        return cls(
            benefit_id=item.benefit_id, name=item.name, description=item.description, kind=item.kind,
            trigger=item.trigger, tiers=tuple(item.tiers or ()), per_period=int(item.per_period), period=item.period,
            voucher_valid_days=int(item.voucher_valid_days), status=item.status, ver=int(item.ver or 1),
            created_at=item.created_at, created_by=item.created_by, updated_at=item.updated_at,
            updated_by=item.updated_by,
        )

    def to_item(self) -> BenefitItem:
        return BenefitItem(
            pk=BENEFITS_PK, sk=BENEFIT_PREFIX + self.benefit_id, benefit_id=self.benefit_id, name=self.name,
            description=self.description, kind=self.kind, trigger=self.trigger, tiers=list(self.tiers),
            per_period=self.per_period, period=self.period, voucher_valid_days=self.voucher_valid_days,
            status=self.status, ver=self.ver, created_at=self.created_at, created_by=self.created_by,
            updated_at=self.updated_at, updated_by=self.updated_by,
        )


# --- definitions and their cache ----------------------------------------------------------------------------------

def reset_cache() -> None:
    _definitions.clear()


def _load(consistent: bool = False) -> tuple[Benefit, ...]:
    out = []
    for item in BenefitItem.query(BENEFITS_PK, BenefitItem.sk.startswith(BENEFIT_PREFIX), consistent_read=consistent):
        try:
            out.append(Benefit.from_item(item))
        except (TypeError, ValueError):
            logger.exception("benefit definition ignored", extra={"sk": item.sk})
    return tuple(sorted(out, key=lambda b: (b.created_at, b.benefit_id)))


_definitions: TableCache[tuple[Benefit, ...]] = TableCache(_load, CACHE_SECONDS)


def definitions() -> tuple[Benefit, ...]:
    """Every benefit (active or not), at most ``CACHE_SECONDS`` old: no read on a warm path."""
    return _definitions.get()


def find(benefit_id: str) -> Benefit | None:
    return next((b for b in definitions() if b.benefit_id == benefit_id), None)


# --- operators -----------------------------------------------------------------------------------------------------


def _invalid(field: str, issue: str) -> AppError:
    return AppError("validation_error", details=[{"field": field, "issue": issue}])


def _validate(benefit: Benefit, others: Iterable[Benefit]) -> None:
    known = [t.code for t in programme.current().tiers]
    unknown = [c for c in benefit.tiers if c not in known]
    if unknown:
        raise _invalid("tiers", f"unknown tier codes {unknown}; known: {known}")
    if not benefit.tiers:
        raise _invalid("tiers", "name at least one tier")
    if benefit.period not in PERIODS:
        raise _invalid("quota.period", f"must be one of {', '.join(PERIODS)}")
    if benefit.trigger not in TRIGGERS:
        raise _invalid("trigger", f"must be one of {', '.join(TRIGGERS)}")
    wanted = TRIGGER_PERIOD.get(benefit.trigger)
    if wanted and benefit.period != wanted:
        raise _invalid("quota.period", f"a {benefit.trigger} benefit is issued once per {wanted}: use {wanted!r}")
    if wanted and benefit.active:
        same = [b for b in others if b.active and b.trigger == benefit.trigger and b.benefit_id != benefit.benefit_id]
        total = benefit.per_period + sum(b.per_period for b in same)
        if total > MAX_GIFT_VOUCHERS:
            raise _invalid("quota.per_period", f"active {benefit.trigger} benefits may issue at most "
                                               f"{MAX_GIFT_VOUCHERS} vouchers together (would be {total})")


def create(values: dict[str, Any], staff_id: str) -> Benefit:
    """``POST /v1/admin/benefits``: ``values`` has name, tiers, quota {per_period, period}, voucher_valid_days and
    optionally kind, trigger, description."""
    at = clock.iso()
    benefit = Benefit(
        benefit_id="bn_" + secrets.token_hex(6), name=values["name"], description=values.get("description"),
        kind=values.get("kind") or "coupon", trigger=values.get("trigger") or "claim",
        tiers=tuple(dict.fromkeys(values["tiers"])), per_period=int(values["quota"]["per_period"]),
        period=values["quota"]["period"], voucher_valid_days=int(values["voucher_valid_days"]), status="active",
        ver=1, created_at=at, created_by=staff_id, updated_at=at, updated_by=staff_id,
    )
    _validate(benefit, _load(consistent=True))
    benefit.to_item().save(condition=BenefitItem.pk.does_not_exist(), add_version_condition=False)
    logger.info("benefit created", extra={"staff_id": staff_id, "benefit_id": benefit.benefit_id})
    reset_cache()
    return benefit


def get_for_admin(benefit_id: str) -> Benefit:
    try:
        return Benefit.from_item(BenefitItem.get(BENEFITS_PK, BENEFIT_PREFIX + benefit_id, consistent_read=True))
    except BenefitItem.DoesNotExist:
        raise AppError("not_found") from None


def list_for_admin() -> list[Benefit]:
    return list(_load(consistent=True))


def update(benefit_id: str, changes: dict[str, Any], staff_id: str) -> Benefit:
    """Change some fields (``quota`` as a whole); the write is conditioned on the version read, and made again from
    a fresh read if another operator saved in between (the changes are absolute values)."""
    for _ in range(5):
        current = get_for_admin(benefit_id)
        fields: dict[str, Any] = {k: v for k, v in changes.items() if k in ("name", "description", "kind", "trigger",
                                                                               "voucher_valid_days", "status")}
        if "tiers" in changes:
            fields["tiers"] = tuple(dict.fromkeys(changes["tiers"]))
        if "quota" in changes:
            fields["per_period"] = int(changes["quota"]["per_period"])
            fields["period"] = changes["quota"]["period"]
        changed = replace(current, **fields, ver=current.ver + 1, updated_at=clock.iso(), updated_by=staff_id)
        _validate(changed, _load(consistent=True))
        try:
            changed.to_item().save(condition=BenefitItem.ver == current.ver, add_version_condition=False)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                continue
            raise
        logger.info("benefit changed", extra={"staff_id": staff_id, "benefit_id": benefit_id,
                                              "fields": sorted(fields)})
        reset_cache()
        return changed
    raise AppError("service_unavailable", retry_after=1)


def set_status(benefit_id: str, status: str, staff_id: str) -> Benefit:
    return update(benefit_id, {"status": status}, staff_id)


# --- the member's view ---------------------------------------------------------------------------------------------


def held_tier(items: bookkeeping.MemberItems, on: date) -> tiers.TierDefinition:
    """The tier the member holds today, exactly as ``GET /v1/me`` shows it (a downgrade due today counts)."""
    return bookkeeping.tier_decision(bookkeeping.PointsState.from_items(items), programme.current(), on).tier


@dataclass
class MemberBenefitState:
    """What the one Query told about the member's benefits: quota counters and gift markers."""

    counters: dict[str, int]  # counter sort key -> count
    gift_pack: dict[str, int]  # benefit id -> vouchers issued by the opening gift pack
    birthdays: dict[int, dict[str, int]]  # year -> benefit id -> vouchers issued

    @classmethod
    def from_items(cls, items: bookkeeping.MemberItems) -> MemberBenefitState:
        counters: dict[str, int] = {}
        gift: dict[str, int] = {}
        birthdays: dict[int, dict[str, int]] = {}
        for raw in items.others:
            sk = raw.get("sk", {}).get("S", "")
            if sk.startswith(QUOTA_PREFIX + quota.COUNTER_PREFIX + "#"):
                counters[sk] = int(raw.get("count", {}).get("N", "0"))
            elif sk == GIFTPACK_SK:
                gift = dict(GiftMarkerItem.from_raw_data(raw).issued or {})
            elif sk.startswith(BIRTHDAY_PREFIX) and sk[len(BIRTHDAY_PREFIX):].isdigit():
                birthdays[int(sk[len(BIRTHDAY_PREFIX):])] = dict(GiftMarkerItem.from_raw_data(raw).issued or {})
        return cls(counters, gift, birthdays)

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
        key = QUOTA_PREFIX + quota.counter_key(benefit.benefit_id, customer_id, window.key)
        return self.counters.get(key, 0), (window.ends_at.isoformat() if window.ends_at else None)


def _unlock_tier(benefit: Benefit, held: tiers.TierDefinition,
                 catalogue: tuple[tiers.TierDefinition, ...]) -> tiers.TierDefinition | None:
    higher = [t for t in catalogue if t.rank > held.rank and t.code in benefit.tiers]
    return min(higher, key=lambda t: t.rank) if higher else None


def zone(customer_id: str) -> dict[str, Any]:
    """``GET /v1/benefits``: one Query (definitions and tiers come from in-process caches)."""
    items = bookkeeping.load_member(customer_id, consistent=True)
    now = clock.now()
    held = held_tier(items, business_day(now))
    catalogue = programme.current().tiers
    state = MemberBenefitState.from_items(items)
    mine: list[tuple[int, dict[str, Any]]] = []
    locked: list[tuple[int, dict[str, Any]]] = []
    for benefit in definitions():
        if not benefit.active:
            continue
        eligible = held.code in benefit.tiers
        unlock = None if eligible else _unlock_tier(benefit, held, catalogue)
        if not eligible and unlock is None:
            continue  # only lower tiers get it: not something this member gains by upgrading
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
        }
        (mine if eligible else locked).append((unlock.rank if unlock else 0, entry))
    locked.sort(key=lambda pair: pair[0])  # stable: the nearest upgrade first, then in creation order
    return {
        "tier": {"code": held.code, "name": held.name, "badge": held.badge},
        "items": [entry for _, entry in mine] + [entry for _, entry in locked],
        "next_cursor": None,
    }


# --- claims --------------------------------------------------------------------------------------------------------


def _claim_tx(
    req: idempotency.Request, benefit: Benefit, customer_id: str, status: quota.QuotaStatus, channel: str | None,
) -> tuple[Tx, dict[str, Any]]:
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
    counter = QuotaCounterItem(pk=keys.customer_pk(customer_id), sk=QUOTA_PREFIX + status.counter_key)
    actions = [
        QuotaCounterItem.count.add(1),
        QuotaCounterItem.benefit_id.set(benefit.benefit_id),
        QuotaCounterItem.period_key.set(status.period_key),
    ]
    if status.counter_expires_at is not None:
        actions.append(QuotaCounterItem.ttl.set(int(status.counter_expires_at.timestamp())))
    tx = Tx()
    tx.update("quota", counter, actions,
              QuotaCounterItem.count.does_not_exist() | (QuotaCounterItem.count < benefit.per_period))
    vouchers.put_in(tx, voucher)
    idempotency.record_in(tx, req, "created", body)
    return tx, body


def claim(customer_id: str, benefit_id: str, idempotency_key: str | None, channel: str | None = None) -> Result:
    """Issue a voucher of ``benefit_id`` within its quota: one Query, one TransactWriteItems (see the module doc).

    403 ``tier_not_eligible``, 409 ``quota_exhausted`` / ``benefit_not_available``, 404 for an unknown benefit; a
    repeated Idempotency-Key replays the first answer (422 if it named another benefit).
    """
    items = bookkeeping.load_member(customer_id, consistent=True)
    cid = items.customer_id
    req = idempotency.request(keys.customer_pk(cid), CLAIM_SCOPE, idempotency_key, {"benefit_id": benefit_id})
    stored = idempotency.lookup(req, items.others)
    if stored is not None:
        return idempotency.replay_response(stored)
    benefit = find(benefit_id)
    if benefit is None:
        raise AppError("not_found")
    if not benefit.active or benefit.trigger != "claim":
        raise AppError("benefit_not_available")
    now = clock.now()
    if held_tier(items, business_day(now)).code not in benefit.tiers:
        raise AppError("tier_not_eligible")
    used, _ = MemberBenefitState.from_items(items).used(benefit, cid, now)
    try:
        status = quota.check_claim(benefit.quota, benefit.benefit_id, cid, now, used)
    except quota.QuotaExhausted:
        raise AppError("quota_exhausted") from None
    for attempt in range(MAX_CLAIM_ATTEMPTS):
        tx, body = _claim_tx(req, benefit, cid, status, channel)
        try:
            tx.commit()
        except TxCancelled as exc:
            if idempotency.LABEL in exc.failed:
                return idempotency.replay_after_race(req)
            if "quota" in exc.failed:
                raise AppError("quota_exhausted") from None
            if exc.conflict:  # another claim on the same counter was in flight: the conditions decide again
                time.sleep(random.uniform(0, min(0.2, 0.01 * 2**attempt)))
                continue
            raise
        logger.info("benefit claimed", extra={"customer_id": cid, "benefit_id": benefit_id,
                                              "voucher_id": body["voucher_id"], "period_key": status.period_key})
        return results.created(body)
    logger.warning("benefit claim gave up after conflicts", extra={"customer_id": cid, "benefit_id": benefit_id})
    raise AppError("service_unavailable", retry_after=1)


# --- one-off grants: the opening gift pack (and birthday, through benefits_birthday) -----------------------------


def grant_items(
    tx: Tx, customer_id: str, tier_code: str, trigger: str, marker_sk: str, label: str, channel: str | None = None,
) -> list[str]:
    """Add to ``tx`` the vouchers of every active ``trigger`` benefit for ``tier_code`` and the marker ``marker_sk``
    (put on condition that it does not exist: ``label`` fails if the grant was already made). Returns the voucher
    ids; nothing is added when no benefit applies."""
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
    return voucher_ids


def opening_gift_hook(tx: Tx, customer: CustomerItem) -> None:
    """``Area.enrolment`` of benefits: the opening gift pack, in the very transaction that creates the customer.

    The pack exists exactly when the customer does: concurrent first sign-ins of one person converge on one
    customer (only one creating transaction commits), so the pack is issued once; a marker ``M#GIFTPACK`` (put if
    absent) records it for the zone's view. New members hold the lowest tier (``tier_code`` of the new profile).
    """
    grant_items(tx, customer.customer_id, customer.tier_code, "opening_gift", GIFTPACK_SK, "gift_pack",
                channel=customer.created_channel)


# --- seeds (local stack) -------------------------------------------------------------------------------------------

SEED_BENEFITS: tuple[dict[str, Any], ...] = (
    {"benefit_id": "bn_seed_ship_monthly", "name": "包邮券", "kind": "free_shipping",
     "description": "每月 2 张全场包邮券", "tiers": ["base", "silver"], "per_period": 2, "period": "month",
     "voucher_valid_days": 30},
    {"benefit_id": "bn_seed_ship_weekly", "name": "无门槛包邮券（周）", "kind": "free_shipping",
     "description": "每周 3 张包邮券", "tiers": ["gold", "platinum"], "per_period": 3, "period": "week",
     "voucher_valid_days": 7},
    {"benefit_id": "bn_seed_member_price", "name": "会员价专享", "kind": "member_price",
     "description": "会员价商品每日可用一次", "tiers": ["silver", "gold", "platinum"], "per_period": 1,
     "period": "day", "voucher_valid_days": 1},
    {"benefit_id": "bn_seed_video", "name": "视频平台月卡", "kind": "partner_membership",
     "description": "合作视频平台会员月卡，每年 4 张", "tiers": ["gold", "platinum"], "per_period": 4,
     "period": "year", "voucher_valid_days": 30},
    {"benefit_id": "bn_seed_points_10x", "name": "10 倍积分日", "kind": "points_multiplier",
     "description": "当天消费 10 倍积分，每月一次", "tiers": ["platinum"], "per_period": 1, "period": "month",
     "voucher_valid_days": 1},
    {"benefit_id": "bn_seed_gift_ship", "name": "新人礼包·包邮券", "kind": "free_shipping", "trigger": "opening_gift",
     "description": "入会即送 2 张包邮券", "tiers": ["base", "silver", "gold", "platinum"], "per_period": 2,
     "period": "lifetime", "voucher_valid_days": 30},
    {"benefit_id": "bn_seed_gift_coupon", "name": "新人礼包·满 99 减 20", "kind": "coupon", "trigger": "opening_gift",
     "tiers": ["base", "silver", "gold", "platinum"], "per_period": 1, "period": "lifetime",
     "voucher_valid_days": 14},
    {"benefit_id": "bn_seed_birthday", "name": "生日礼券", "kind": "coupon", "trigger": "birthday",
     "description": "生日月专享 50 元券", "tiers": ["base", "silver", "gold", "platinum"], "per_period": 1,
     "period": "year", "voucher_valid_days": 31},
    {"benefit_id": "bn_seed_birthday_gift", "name": "生日好礼", "kind": "gift", "trigger": "birthday",
     "description": "金卡及以上生日月到店领取礼品", "tiers": ["gold", "platinum"], "per_period": 1,
     "period": "year", "voucher_valid_days": 31},
)


def seed_defaults() -> None:
    """Write the demo benefits if absent (fixed ids; idempotent; for the local stack's catalogue seed)."""
    at = clock.iso()
    for spec in SEED_BENEFITS:
        benefit = Benefit(
            benefit_id=spec["benefit_id"], name=spec["name"], description=spec.get("description"), kind=spec["kind"],
            trigger=spec.get("trigger", "claim"), tiers=tuple(spec["tiers"]), per_period=spec["per_period"],
            period=spec["period"], voucher_valid_days=spec["voucher_valid_days"], status="active", ver=1,
            created_at=at, created_by="seed", updated_at=at, updated_by="seed",
        )
        try:
            benefit.to_item().save(condition=BenefitItem.pk.does_not_exist(), add_version_condition=False)
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
    reset_cache()
