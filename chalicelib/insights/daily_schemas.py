"""Request and response models of ``chalicelib/insights/daily_api.py`` (imported on first use)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.core.http.models import Day, Out, Query


class DailyHealthQuery(Query):
    from_: Day = Field(alias="from", description="first Shanghai day, YYYY-MM-DD")
    to: Day = Field(description="last Shanghai day, YYYY-MM-DD (at most 92 days in all)")


class DailyHealthDayOut(Out):
    day: str
    active_members: int = Field(description="members active that day (earned, spent, checked in, booked, "
                                            "registered or redeemed), each once")
    enrolled: int = Field(description="members who joined that day")
    points_issued: int
    points_redeemed: int = Field(description="points spent that day")
    points_expired: int
    redemptions: int


class DailyHealthOut(Out):
    from_: str = Field(alias="from")
    to: str
    days: list[DailyHealthDayOut] = Field(description="every day of the range, oldest first (zeros: nothing counted)")
