"""Response model of ``chalicelib/console/api.py`` (the 360 view)."""

from __future__ import annotations

from typing import Any

from chalicelib.core.http.models import Out
from chalicelib.followups.schemas import CaseSummary
from chalicelib.points.schemas import LedgerEntryOut, PointsOut


class Member360Tier(Out):
    code: str
    name: str
    badge: str


class Member360(Out):
    customer_id: str
    profile: dict[str, Any]
    tier: Member360Tier
    tier_progress: dict[str, Any]
    points: PointsOut
    ledger: list[LedgerEntryOut]
    redemptions: list[dict[str, Any]]
    vouchers: list[dict[str, Any]]
    transactions: list[dict[str, Any]]
    open_cases: list[CaseSummary]
    case_counts: dict[str, int]
