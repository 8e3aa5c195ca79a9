"""Response model of ``chalicelib/console/http/staff.py`` (the 360 view)."""

from __future__ import annotations

from typing import Any

from pydantic import create_model

from chalicelib.core.http.models import Out
from chalicelib.followups.public import CaseSummary
from chalicelib.points.public import LedgerEntryOut, PointsOut


class Member360Tier(Out):
    code: str
    name: str
    badge: str


class Member360Base(Out):
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


def _section_fields() -> dict[str, Any]:
    """The keys every area's 360 section declares (``Section360.keys``), as fields of the view's model."""
    from chalicelib.console.member_360 import sections
    from chalicelib.core.area import resolve

    fields: dict[str, Any] = {}
    for section in sections():
        if section.keys:
            model: type[Out] = resolve(section.keys)
            fields.update({name: (field.annotation, field) for name, field in model.model_fields.items()
                           if name not in Member360Base.model_fields})
    return fields


Member360 = create_model("Member360", __base__=Member360Base, __doc__="A member's 360 view: the core's keys and every "
                         "area's section", **_section_fields())
