"""Request and response models of ``chalicelib/insights/http/admin.py`` (imported on first use)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.core.http.models import Body, Day, Out, Query

Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
class CloseIn(Body):
    month: Month = Field(description="the Shanghai month to close, YYYY-MM (over)")


class ExpiringMonthOut(Out):
    month: str
    points: int


class ReconciledOut(Out):
    ledger_sum: int = Field(description="every ledger delta, summed, as the pass read them")
    buckets_sum: int = Field(description="every live bucket's points, summed, as the pass read them")
    difference: int = Field(description="ledger_sum - buckets_sum (0 when the books agree)")


class CloseOut(Out):
    month: str
    status: Literal["running", "done"]
    requested_at: str
    completed_at: str | None
    outstanding_points: int | None = Field(default=None, description="ledger deltas before the month's end")
    issued: int | None = None
    redeemed: int | None = None
    expired: int | None = None
    reversed: int | None = None
    breakage_rate: float | None = Field(default=None, description="expired / (expired + redeemed), to the month's end")
    expected_redemption_rate: float
    point_value_fen: float
    deferred_revenue_fen: int | None = Field(
        default=None, description="outstanding_points x point_value_fen x expected_redemption_rate, half up")
    expiring_by_month: list[ExpiringMonthOut] | None = Field(default=None, description="the 12 months after")
    reconciled: ReconciledOut | None = None


class CloseListQuery(Query):
    from_: Month = Field(alias="from", description="first Shanghai month, YYYY-MM")
    to: Month = Field(description="last Shanghai month, YYYY-MM (at most 60 months)")


class CloseListItemOut(Out):
    month: str
    status: Literal["running", "done"]
    outstanding_points: int | None = Field(description="null while the close is running")
    deferred_revenue_fen: int | None = Field(description="null while the close is running")
    expired: int | None = Field(description="points expired in the month; null while the close is running")
    completed_at: str | None


class CloseListOut(Out):
    from_: str = Field(alias="from")
    to: str
    items: list[CloseListItemOut] = Field(description="the months closed (or closing) in the range, oldest first; "
                                                      "a month never closed is absent")


class AccountingIn(Body):
    point_value_fen: float = Field(gt=0, le=100_000, description="what one point is worth, in fen")
    expected_redemption_rate: float = Field(ge=0, le=1, description="share of points expected to be redeemed")


class AccountingOut(Out):
    point_value_fen: float
    expected_redemption_rate: float
    updated_at: str | None
    updated_by: str | None


class HealthQuery(Query):
    from_: Month = Field(alias="from", description="first Shanghai month, YYYY-MM")
    to: Month = Field(description="last Shanghai month, YYYY-MM (at most 12 months)")


class BenefitUsageOut(Out):
    tier: str
    claimed: int
    used: int
    rate: float | None


class HealthCsatOut(Out):
    answers: int = Field(description="service surveys answered on the CSAT scale (1-5) in the month")
    satisfied: int = Field(description="answers of 4 or 5")
    rate: float | None = Field(description="satisfied / answers (null when none)")


class HealthNpsOut(Out):
    answers: int = Field(description="service surveys answered on the NPS scale (0-10) in the month")
    promoters: int = Field(description="answers of 9 or 10")
    detractors: int = Field(description="answers of 0 to 6")
    score: float | None = Field(description="% promoters - % detractors, -100..100 (null when none)")


class HealthCampaignUpliftOut(Out):
    campaigns: int = Field(description="campaigns whose measurement (14 days after the last member reached) ended "
                                       "in the month")
    treated: int = Field(description="their members sent the campaign")
    treated_conversions: int
    treated_rate: float | None = Field(description="treated conversions / treated (null when none)")
    holdout: int = Field(description="their members held out")
    holdout_conversions: int
    holdout_rate: float | None = Field(description="holdout conversions / holdout (null when none)")
    uplift: float | None = Field(description="treated_rate - holdout_rate (null without both groups)")


class HealthMonthOut(Out):
    month: str
    members: int = Field(description="members enrolled by the month's end (the current month: as of last night)")
    active_members: int
    active_member_rate: float | None
    checkin_members: int
    checkin_rate: float | None
    points_issued: int
    points_redeemed: int
    redemption_rate: float | None = Field(description="points redeemed / points issued")
    redemptions: int
    benefit_usage_rate: list[BenefitUsageOut] = Field(description="vouchers used / claimed, per tier")
    plus_started: int
    plus_renewed: int
    plus_lapsed: int
    plus_refunded: int
    plus_renewal_rate: float | None = Field(description="renewed / (renewed + lapsed)")
    plus_trials: int
    plus_trial_converted: int
    plus_trial_lapsed: int
    plus_trial_conversion_rate: float | None
    appointments_booked: int
    appointments_attended: int
    appointments_no_show: int
    appointment_no_show_rate: float | None = Field(description="no-shows / (attended + no-shows)")
    event_registrations: int
    event_check_ins: int
    event_attendance_rate: float | None = Field(description="check-ins / registrations")
    csat: HealthCsatOut
    nps: HealthNpsOut
    campaign_uplift: HealthCampaignUpliftOut


class HealthOut(Out):
    from_: str = Field(alias="from")
    to: str
    months: list[HealthMonthOut]


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
