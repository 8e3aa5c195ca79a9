"""Campaign uplift per Shanghai month: the campaigns whose measurement ended in the month, their treated and
holdout members and conversions, counted once into the month counters when their results are final.

1. The stream: a campaign item reaching ``done`` files it under the day its measurement ends (``segments.public.
   measurement_ends``: its conversion windows all closed) as ``INS#CAMPDUE#<day>`` / ``C#<campaign_id>`` (a put: a
   record delivered again rewrites the same item).
2. The nightly job (``finalize``): the campaigns filed under yesterday and the ``LOOKBACK_DAYS`` before (a night
   missed is caught up) have their results read (``segments.public.results``) and ADDed to the month's counters
   once, as one fact named by the campaign (``counting``: marker and ADDs in one transaction).

So ``GET /v1/admin/health`` answers the uplift from the same month items (no read per campaign). Pooled over the
month's campaigns: uplift = treated conversions / treated - holdout conversions / holdout (to 4 places; null
without both groups).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.insights import counting, rules, store
from chalicelib.insights.facts import Fact

LOOKBACK_DAYS = 7
DUE_PREFIX = "C#"
# the campaign's result -> the month counter it is ADDed to
COUNTERS = {"treated": "camp_treated", "treated_conversions": "camp_treated_conv", "holdout": "camp_holdout",
            "holdout_conversions": "camp_holdout_conv"}


def due_pk(day: str) -> str:
    return f"INS#CAMPDUE#{day}"


def handle_raw(raw: dict[str, Any]) -> None:
    """The stream handler (``Area.stream_handlers``, campaign items): a campaign done is filed under its day."""
    from chalicelib.segments import public as segments

    ends = segments.measurement_ends((raw.get("dynamodb") or {}).get("NewImage") or {})
    if ends is None:
        return
    campaign_id, instant = ends
    store.client().put_item(TableName=store.table(), Item={
        "pk": {"S": due_pk(rules.day_of(instant))}, "sk": {"S": DUE_PREFIX + campaign_id},
        "campaign_id": {"S": campaign_id}, "measured_until": {"S": instant}})


def finalize_day(day: str) -> int:
    """The campaigns whose measurement ended on ``day`` (Shanghai) counted into its month; how many newly."""
    from chalicelib.segments import public as segments

    counted = 0
    for item in store.query_all(due_pk(day), DUE_PREFIX):
        campaign_id = item["campaign_id"]["S"]
        result = segments.results(campaign_id)
        if not result["treated"] and not result["holdout"]:
            continue  # reached nobody (ended before it started, or every member suppressed): nothing measured
        adds = {"camp_campaigns": 1, **{name: int(result[key]) for key, name in COUNTERS.items()}}
        counted += counting.count(Fact(f"campaign_final|{campaign_id}", day, adds, scope="month"))
    return counted


def finalize(yesterday: str) -> int:
    first = date.fromisoformat(yesterday)
    return sum(finalize_day((first - timedelta(days=n)).isoformat()) for n in range(LOOKBACK_DAYS))


def month_uplift(c: dict[str, int]) -> dict[str, Any]:
    """One month's uplift from its counters (the shards summed)."""
    treated, holdout = int(c.get("camp_treated", 0)), int(c.get("camp_holdout", 0))
    t_conv, h_conv = int(c.get("camp_treated_conv", 0)), int(c.get("camp_holdout_conv", 0))
    return {"campaigns": int(c.get("camp_campaigns", 0)), "treated": treated, "treated_conversions": t_conv,
            "treated_rate": rules.rate(t_conv, treated), "holdout": holdout, "holdout_conversions": h_conv,
            "holdout_rate": rules.rate(h_conv, holdout),
            # exact: t_conv/treated - h_conv/holdout over one denominator, then to 4 places
            "uplift": rules.rate(t_conv * holdout - h_conv * treated, treated * holdout)}
