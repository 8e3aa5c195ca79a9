"""Admin-configured points and tier settings: the tier catalogue, promotions and points settings.

All of it lives in one partition (``CONFIG#POINTS``: ``TIERS``, ``SETTINGS``, ``PROMO#<id>``) and is read
with one Query, cached in-process for ``CACHE_SECONDS``: a busy Lambda pays one read a minute, and an
admin's change reaches every instance within that minute. Without stored configuration the defaults
apply (``tiers.DEFAULT_TIERS``, 12-month expiry horizon, the default check-in schedule).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DeleteError

from chalicelib.core import clock
from chalicelib.core.dynamo.table_cache import TableCache
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.points import tiers
from chalicelib.points.checkin import DEFAULT_SCHEDULE, CheckinSchedule
from chalicelib.points.models import CONFIG_PK, ConfigItem
from chalicelib.points.tiers import TierDefinition

CACHE_SECONDS = 5.0  # table_cache.MAX_STALENESS_SECONDS: the bound the README states
TIERS_SK = "TIERS"
SETTINGS_SK = "SETTINGS"
PROMO_PREFIX = "PROMO#"


@dataclass(frozen=True)
class PointsSettings:
    expiry_horizon_months: int = 12
    points_per_yuan: Decimal = Decimal(1)
    checkin: CheckinSchedule = DEFAULT_SCHEDULE
    claim_window_days: int = 90
    max_open_claims: int = 3

    def as_dict(self) -> dict[str, Any]:
        return {
            "expiry_horizon_months": self.expiry_horizon_months,
            "points_per_yuan": str(self.points_per_yuan),
            "checkin": {
                "base_points": self.checkin.base_points,
                "streak_bonuses": {str(k): v for k, v in sorted(self.checkin.streak_bonuses.items())},
                "cycle_days": self.checkin.cycle_days,
            },
            "claim_window_days": self.claim_window_days,
            "max_open_claims": self.max_open_claims,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PointsSettings:
        checkin = data.get("checkin") or {}
        schedule = CheckinSchedule(
            base_points=int(checkin.get("base_points", DEFAULT_SCHEDULE.base_points)),
            streak_bonuses={int(k): int(v) for k, v in (checkin.get("streak_bonuses") or {}).items()}
            if "streak_bonuses" in checkin
            else dict(DEFAULT_SCHEDULE.streak_bonuses),
            cycle_days=checkin.get("cycle_days", DEFAULT_SCHEDULE.cycle_days),
        )
        return cls(
            expiry_horizon_months=int(data.get("expiry_horizon_months", 12)),
            points_per_yuan=Decimal(str(data.get("points_per_yuan", "1"))),
            checkin=schedule,
            claim_window_days=int(data.get("claim_window_days", 90)),
            max_open_claims=int(data.get("max_open_claims", 3)),
        )


@dataclass(frozen=True)
class Promotion:
    """A points multiplier for orders paid in ``[starts_at, ends_at)``, optionally only some channels/tiers."""

    promotion_id: str
    name: str
    multiplier: Decimal
    starts_at: datetime
    ends_at: datetime
    channels: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    created_by: str | None = None
    created_at: str | None = None

    def applies(self, at: datetime, channel: str | None, tier_code: str) -> bool:
        if not (self.starts_at <= at < self.ends_at):
            return False
        if self.channels and channel not in self.channels:
            return False
        return not self.tiers or tier_code in self.tiers

    def as_dict(self) -> dict[str, Any]:
        return {
            "promotion_id": self.promotion_id,
            "name": self.name,
            "multiplier": str(self.multiplier),
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "channels": list(self.channels),
            "tiers": list(self.tiers),
            "created_by": self.created_by,
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Promotion:
        return cls(
            promotion_id=data["promotion_id"],
            name=data["name"],
            multiplier=Decimal(str(data["multiplier"])),
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]),
            channels=tuple(data.get("channels") or ()),
            tiers=tuple(data.get("tiers") or ()),
            created_by=data.get("created_by"),
            created_at=data.get("created_at"),
        )


@dataclass(frozen=True)
class PointsConfig:
    tiers: tuple[TierDefinition, ...] = tiers.DEFAULT_TIERS
    settings: PointsSettings = field(default_factory=PointsSettings)
    promotions: tuple[Promotion, ...] = ()

    def tier(self, code: str | None) -> TierDefinition:
        """The tier of ``code``; a code no longer configured falls back to the lowest tier."""
        for tier in self.tiers:
            if tier.code == code:
                return tier
        return self.tiers[0]

    def promotion_for(self, at: datetime, channel: str | None, tier_code: str) -> Promotion | None:
        """The active promotion with the highest multiplier (promotions do not stack)."""
        active = [p for p in self.promotions if p.applies(at, channel, tier_code)]
        return max(active, key=lambda p: p.multiplier) if active else None


def tier_to_dict(tier: tiers.TierDefinition) -> dict[str, Any]:
    return {
        "code": tier.code,
        "name": tier.name,
        "badge": tier.badge,
        "rank": tier.rank,
        "metric": tier.metric,
        "threshold": tier.threshold,
        "multiplier": str(tier.multiplier),
    }


def tier_from_dict(data: dict[str, Any]) -> tiers.TierDefinition:
    return tiers.TierDefinition(
        code=data["code"],
        name=data["name"],
        badge=data["badge"],
        rank=int(data["rank"]),
        metric=data["metric"],
        threshold=int(data["threshold"]),
        multiplier=Decimal(str(data.get("multiplier", "1"))),
    )


def reset_cache() -> None:
    _config.clear()


def _load() -> PointsConfig:
    loaded_tiers: tuple[tiers.TierDefinition, ...] = tiers.DEFAULT_TIERS
    loaded_settings = PointsSettings()
    promotions: list[Promotion] = []
    for item in ConfigItem.query(CONFIG_PK):
        try:
            if item.sk == TIERS_SK:
                loaded_tiers = tiers.validate_tiers(tier_from_dict(t) for t in item.data["tiers"])
            elif item.sk == SETTINGS_SK:
                loaded_settings = PointsSettings.from_dict(item.data)
            elif item.sk.startswith(PROMO_PREFIX):
                promotions.append(Promotion.from_dict(item.data))
        except (KeyError, TypeError, ValueError, ArithmeticError):
            logger.exception("points configuration item ignored", extra={"sk": item.sk})
    return PointsConfig(loaded_tiers, loaded_settings, tuple(promotions))


_config: TableCache[PointsConfig] = TableCache(_load, CACHE_SECONDS)


def current() -> PointsConfig:
    """The configuration, at most ``CACHE_SECONDS`` old."""
    return _config.get()


def catalogue() -> tuple[tiers.TierDefinition, ...]:
    return current().tiers


# --- admin writes ---------------------------------------------------------------------------------------------


def put_tiers(definitions: list[dict[str, Any]], staff_id: str) -> tuple[tiers.TierDefinition, ...]:
    try:
        ordered = tiers.validate_tiers(tier_from_dict(d) for d in definitions)
    except (KeyError, ValueError) as exc:
        raise AppError("validation_error", details=[{"field": "tiers", "issue": str(exc)}]) from None
    ConfigItem(
        pk=CONFIG_PK,
        sk=TIERS_SK,
        data={"tiers": [tier_to_dict(t) for t in ordered]},
        updated_at=clock.iso(),
        updated_by=staff_id,
    ).save(add_version_condition=False)
    logger.info("tier catalogue changed", extra={"staff_id": staff_id, "codes": [t.code for t in ordered]})
    reset_cache()
    return ordered


def put_settings(values: dict[str, Any], staff_id: str) -> PointsSettings:
    merged = {**current().settings.as_dict(), **values}
    try:
        parsed = PointsSettings.from_dict(merged)
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise AppError("validation_error", details=[{"field": "settings", "issue": str(exc)}]) from None
    ConfigItem(
        pk=CONFIG_PK, sk=SETTINGS_SK, data=parsed.as_dict(), updated_at=clock.iso(), updated_by=staff_id
    ).save(add_version_condition=False)
    logger.info("points settings changed", extra={"staff_id": staff_id})
    reset_cache()
    return parsed


def add_promotion(
    name: str,
    multiplier: Decimal,
    starts_at: datetime,
    ends_at: datetime,
    channels: list[str],
    tier_codes: list[str],
    staff_id: str,
) -> Promotion:
    if ends_at <= starts_at:
        raise AppError("validation_error", details=[{"field": "ends_at", "issue": "must be after starts_at"}])
    known = {t.code for t in current().tiers}
    unknown = [c for c in tier_codes if c not in known]
    if unknown:
        raise AppError("validation_error", details=[{"field": "tiers", "issue": f"unknown tier codes {unknown}"}])
    promotion = Promotion(
        promotion_id="promo_" + secrets.token_hex(6),
        name=name,
        multiplier=multiplier,
        starts_at=starts_at,
        ends_at=ends_at,
        channels=tuple(channels),
        tiers=tuple(tier_codes),
        created_by=staff_id,
        created_at=clock.iso(),
    )
    ConfigItem(
        pk=CONFIG_PK, sk=PROMO_PREFIX + promotion.promotion_id, data=promotion.as_dict(), updated_at=clock.iso(),
        updated_by=staff_id,
    ).save(add_version_condition=False)
    logger.info("promotion created", extra={"staff_id": staff_id, "promotion_id": promotion.promotion_id})
    reset_cache()
    return promotion


def delete_promotion(promotion_id: str, staff_id: str) -> None:
    try:
        ConfigItem(pk=CONFIG_PK, sk=PROMO_PREFIX + promotion_id).delete(
            condition=ConfigItem.pk.exists(), add_version_condition=False
        )
    except DeleteError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise AppError("not_found") from None
        raise
    logger.info("promotion deleted", extra={"staff_id": staff_id, "promotion_id": promotion_id})
    reset_cache()


def list_promotions() -> list[Promotion]:
    return sorted(
        (Promotion.from_dict(i.data) for i in ConfigItem.query(CONFIG_PK, ConfigItem.sk.startswith(PROMO_PREFIX))),
        key=lambda p: p.starts_at,
    )


def seed_defaults() -> None:
    """Write the default tier catalogue and settings if none are stored (idempotent; for the local stack's seed)."""
    from pynamodb.exceptions import PutError

    for sk, data in (
        (TIERS_SK, {"tiers": [tier_to_dict(t) for t in tiers.DEFAULT_TIERS]}),
        (SETTINGS_SK, PointsSettings().as_dict()),
    ):
        try:
            ConfigItem(pk=CONFIG_PK, sk=sk, data=data, updated_at=clock.iso(), updated_by="seed").save(
                condition=ConfigItem.pk.does_not_exist(), add_version_condition=False
            )
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
    reset_cache()
