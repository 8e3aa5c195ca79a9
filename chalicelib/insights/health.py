"""Programme health per Shanghai month, from the month counters kept from the stream: one ``BatchGetItem`` of the
months' shards (``MAX_MONTHS`` x ``store.SHARDS`` keys, within its 100), its unprocessed keys once more at most.

Rates (to 4 places; None when the base is 0):

- ``active_member_rate``: members active in the month (earned, spent, checked in, booked, registered or redeemed;
  each once) / members enrolled by the month's end (``members_end``, copied nightly: the current month's is as of
  last night);
- ``checkin_rate``: members who checked in (daily check-in) at least once / the same base;
- ``redemption_rate``: points redeemed / points issued in the month;
- ``benefit_usage_rate``: per tier, vouchers used / vouchers claimed in the month;
- ``plus_renewal_rate``: renewed / (renewed + lapsed), the paid memberships that came due; ``plus_trial_conversion_
  rate``: trials converted to a paid membership / (converted + trials lapsed);
- ``appointment_no_show_rate``: no-shows / (attended + no-shows); ``event_attendance_rate``: check-ins /
  registrations.
- ``csat``: service surveys answered on the CSAT scale (1-5) in the month, ``rate`` = satisfied (4-5) / answers;
  ``nps``: answers on the NPS scale (0-10), ``score`` = % promoters (9-10) - % detractors (0-6), to 2 places.
  Counted from the surveys' stream records into the same month items (no third call); a survey withdrawn after
  its answer (its service voided) leaves them, as it leaves the surveys' own summary.

- ``campaign_uplift``: the campaigns whose measurement ended in the month (``campaign_uplift``: counted into the
  month items when their results are final, so no read per campaign), pooled: treated conversion rate - holdout's.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import AppError
from chalicelib.insights import campaign_uplift, rules, store

MAX_MONTHS = 12

# counter -> the field it is answered as
COUNTS = {"members_end": "members", "active": "active_members", "checkin_members": "checkin_members",
          "pts_issued": "points_issued", "pts_redeemed": "points_redeemed", "redemptions": "redemptions",
          "plus_started": "plus_started", "plus_renewed": "plus_renewed", "plus_lapsed": "plus_lapsed",
          "plus_refunded": "plus_refunded", "plus_trials": "plus_trials",
          "plus_trial_converted": "plus_trial_converted",
          "plus_trial_lapsed": "plus_trial_lapsed", "appt_booked": "appointments_booked",
          "appt_attended": "appointments_attended", "appt_no_show": "appointments_no_show",
          "event_registered": "event_registrations", "event_checked_in": "event_check_ins"}


def months_of(first: str, last: str) -> list[str]:
    months = rules.months_between(first, last)
    if not months:
        raise AppError("validation_error", [{"field": "to", "issue": "must not be before from"}])
    if len(months) > MAX_MONTHS:
        raise AppError("health_range_too_large", [{"field": "to", "issue": f"at most {MAX_MONTHS} months"}])
    return months


def _tiers(counters: dict[str, int]) -> list[dict[str, Any]]:
    tiers = sorted({name.rsplit("_t_", 1)[1] for name in counters
                    if name.startswith(("benefit_claimed_t_", "benefit_used_t_"))})
    return [{"tier": t, "claimed": counters.get(f"benefit_claimed_t_{t}", 0),
             "used": counters.get(f"benefit_used_t_{t}", 0),
             "rate": rules.rate(counters.get(f"benefit_used_t_{t}", 0), counters.get(f"benefit_claimed_t_{t}", 0))}
            for t in tiers]


def month_view(month: str, c: dict[str, int]) -> dict[str, Any]:
    """One month's figures from its counters (the shards summed)."""
    out: dict[str, Any] = {"month": month, **{field: int(c.get(name, 0)) for name, field in COUNTS.items()}}
    members = out["members"]
    out.update(
        active_member_rate=rules.rate(out["active_members"], members),
        checkin_rate=rules.rate(out["checkin_members"], members),
        redemption_rate=rules.rate(out["points_redeemed"], out["points_issued"]),
        benefit_usage_rate=_tiers(c),
        plus_renewal_rate=rules.rate(out["plus_renewed"], out["plus_renewed"] + out["plus_lapsed"]),
        plus_trial_conversion_rate=rules.rate(out["plus_trial_converted"],
                                              out["plus_trial_converted"] + out["plus_trial_lapsed"]),
        appointment_no_show_rate=rules.rate(out["appointments_no_show"],
                                            out["appointments_attended"] + out["appointments_no_show"]),
        event_attendance_rate=rules.rate(out["event_check_ins"], out["event_registrations"]),
        csat=surveys_csat(c), nps=surveys_nps(c), campaign_uplift=campaign_uplift.month_uplift(c),
    )
    return out


def surveys_csat(c: dict[str, int]) -> dict[str, Any]:
    answers, satisfied = int(c.get("csat_answers", 0)), int(c.get("csat_satisfied", 0))
    return {"answers": answers, "satisfied": satisfied, "rate": rules.rate(satisfied, answers)}


def surveys_nps(c: dict[str, int]) -> dict[str, Any]:
    answers = int(c.get("nps_answers", 0))
    promoters, detractors = int(c.get("nps_promoters", 0)), int(c.get("nps_detractors", 0))
    score = round(100 * (promoters - detractors) / answers, 2) if answers else None
    return {"answers": answers, "promoters": promoters, "detractors": detractors, "score": score}


def health(first: str, last: str) -> dict[str, Any]:
    months = months_of(first, last)
    items = store.batch_get([store.month_key(m, n) for m in months for n in range(store.SHARDS)])
    by_month: dict[str, list[dict[str, Any]]] = {m: [] for m in months}
    for item in items:
        by_month[item["pk"]["S"].split("#")[2]].append(item)
    return {"from": first, "to": last,
            "months": [month_view(m, store.counters_of(by_month[m])) for m in months]}
