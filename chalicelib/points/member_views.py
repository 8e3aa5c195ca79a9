"""What a member sees of their points: balance, buckets and what expires next, the held tier and its progress, the
ledger, and the points section of the member 360."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.core.area import Section360
from chalicelib.core.dynamo import paging
from chalicelib.points import programme, reading, tier_standing, tiers
from chalicelib.points.models import LEDGER_PREFIX, LedgerEntryItem
from chalicelib.points.reading import MemberItems

EXPIRING_WINDOW_DAYS = 30


def live_buckets(items: MemberItems, on: date) -> dict[date, int]:
    """Buckets still usable on ``on`` (a bucket due yesterday is gone even before the nightly job ran)."""
    assert items.buckets is not None, "read the member's buckets (reading.query_member) to list them"
    buckets = {date.fromisoformat(b.expires_on): int(b.points) for b in items.buckets}
    return {d: p for d, p in sorted(buckets.items()) if d >= on and p > 0}


def points_summary(items: MemberItems, on: date | None = None) -> dict[str, Any]:
    on = on or reading.today()
    buckets = live_buckets(items, on)
    expiring, first = reading.expiring_within(buckets, on, EXPIRING_WINDOW_DAYS)
    debt = int(items.state.points_debt) if items.state else 0
    return {
        "balance": sum(buckets.values()),
        "debt": debt,
        "buckets": [{"points": p, "expires_on": d.isoformat()} for d, p in buckets.items()],
        "expiring": {"points": expiring, "on": first.isoformat() if first else None},
    }


def balance_view(customer_id: str) -> dict[str, Any]:
    """``GET /v1/me/points``: one Query (strongly consistent: a member who just earned sees it)."""
    return points_summary(reading.load_member(customer_id, consistent=True))


def held_tier(items: MemberItems, on: date | None = None) -> tiers.TierDefinition:
    """The tier the member holds today, exactly as ``GET /v1/me`` shows it: an upgrade at once, a downgrade due
    today counted, never below an active floor. Every area that restricts by tier asks this (benefits, rewards,
    birthday privileges, the follow-up queue's priority)."""
    return tier_standing.tier_decision(reading.PointsState.from_items(items), programme.current(),
                                     on or reading.today()).tier


def tier_view(items: MemberItems, on: date | None = None) -> dict[str, Any]:
    """The tier the member holds today (upgrade at once, downgrade on the evaluation date, floors) and progress."""
    on = on or reading.today()
    config = programme.current()
    assert items.profile is not None
    state = reading.PointsState.from_items(items)
    decision = tier_standing.tier_decision(state, config, on)
    values = tier_standing.metric_values(state.tier_stats, on)
    progress = tiers.tier_progress(config.tiers, decision.tier.code, values)
    return {
        "tier": {"code": decision.tier.code, "name": decision.tier.name, "badge": decision.tier.badge},
        "tier_progress": progress.as_dict(),
        "metric_values": values,
        "evaluation_on": state.tier_evaluation_on.isoformat() if state.tier_evaluation_on else None,
    }


def ledger(customer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """``GET /v1/me/points/ledger``: one Query, newest first."""
    entries, next_cursor = reading.ledger_page(customer_id, limit, cursor)
    return {"items": [reading.entry_view(e) for e in entries], "next_cursor": next_cursor}


RECENT_360 = 10


def _render_360(ledger: list[dict[str, Any]], member: MemberItems, _now: Any) -> dict[str, Any]:
    on = reading.today()
    tier = tier_view(member, on)
    return {"tier": tier["tier"], "tier_progress": tier["tier_progress"], "points": points_summary(member, on),
            "ledger": [reading.entry_view(LedgerEntryItem.from_raw_data(r)) for r in ledger]}


member_360 = Section360(read=lambda customer_id: paging.newest(customer_id, LEDGER_PREFIX, RECENT_360),
                        render=_render_360)
