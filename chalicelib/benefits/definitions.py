"""The benefits catalogue: operator-configured benefits per tier, their validation, cache and local seeds.

Every benefit is ``CONFIG#BENEFITS`` / ``BENEFIT#<id>``; all of them are read with one Query and cached in-process for
``CACHE_SECONDS`` (an operator's change is live everywhere within that time; an admin write clears the cache of the
process that made it). A benefit names the tiers that get it: benefits are chosen per tier, not "more at each
level". ``trigger`` says how it is issued: ``claim`` (in the zone, within a quota of ``per_period`` per
``day | week | month | year | lifetime`` on the Asia/Shanghai calendar, ISO weeks), ``opening_gift``
(``per_period`` vouchers once, when the member enrols) or ``birthday`` (``per_period`` vouchers a year, in the
birthday month).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.benefits import quota
from chalicelib.benefits.models import BENEFIT_PREFIX, BENEFITS_PK, BenefitItem
from chalicelib.core import clock
from chalicelib.core.calendar import PERIODS
from chalicelib.core.dynamo import retry
from chalicelib.core.dynamo.table_cache import TableCache
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.points import public as points

CACHE_SECONDS = 5.0  # table_cache.MAX_STALENESS_SECONDS: the bound the README states
MAX_GIFT_VOUCHERS = 20  # vouchers of one grant (pack or birthday): they share one transaction with other items


TRIGGERS = ("claim", "opening_gift", "birthday")


TRIGGER_PERIOD = {"opening_gift": "lifetime", "birthday": "year"}  # gifts: per_period vouchers once per period


KINDS = ("free_shipping", "member_price", "partner_membership", "points_multiplier", "coupon", "gift", "service")


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
    plus_only: bool = False  # only Plus members may claim it (on top of the tiers)

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
            "plus_only": self.plus_only,
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
            updated_by=item.updated_by, plus_only=bool(item.plus_only),
        )

    def to_item(self) -> BenefitItem:
        return BenefitItem(
            pk=BENEFITS_PK, sk=BENEFIT_PREFIX + self.benefit_id, benefit_id=self.benefit_id, name=self.name,
            description=self.description, kind=self.kind, trigger=self.trigger, tiers=list(self.tiers),
            per_period=self.per_period, period=self.period, voucher_valid_days=self.voucher_valid_days,
            status=self.status, ver=self.ver, created_at=self.created_at, created_by=self.created_by,
            updated_at=self.updated_at, updated_by=self.updated_by, plus_only=self.plus_only or None,
        )


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


MAX_ID_LENGTH = 100


def find(benefit_id: str) -> Benefit | None:
    """A benefit by id. One the cache does not know is read with one consistent GetItem (as an unknown reward is):
    a benefit an operator created through another process (another Lambda container) is claimable at once."""
    found = next((b for b in definitions() if b.benefit_id == benefit_id), None)
    if found is not None or len(benefit_id) > MAX_ID_LENGTH:  # no key that long exists (nor fits DynamoDB's)
        return found
    try:
        item = BenefitItem.get(BENEFITS_PK, f"{BENEFIT_PREFIX}{benefit_id}", consistent_read=True)
    except BenefitItem.DoesNotExist:
        return None
    reset_cache()  # the catalogue changed: the zone lists it from the next read on
    return Benefit.from_item(item)


def _invalid(field: str, issue: str) -> AppError:
    return AppError("validation_error", details=[{"field": field, "issue": issue}])


def _validate(benefit: Benefit, others: Iterable[Benefit]) -> None:
    known = [t.code for t in points.current().tiers]
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
        plus_only=bool(values.get("plus_only")),
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
    def once(_attempt: int) -> Benefit:
        current = get_for_admin(benefit_id)
        fields: dict[str, Any] = {k: v for k, v in changes.items() if k in ("name", "description", "kind", "trigger",
                                                                               "voucher_valid_days", "status",
                                                                               "plus_only")}
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
                raise retry.Again from None
            raise
        logger.info("benefit changed", extra={"staff_id": staff_id, "benefit_id": benefit_id,
                                              "fields": sorted(fields)})
        reset_cache()
        return changed
    return retry.until_committed(once, limit=5, what="benefit change", benefit_id=benefit_id)


def set_status(benefit_id: str, status: str, staff_id: str) -> Benefit:
    return update(benefit_id, {"status": status}, staff_id)


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
