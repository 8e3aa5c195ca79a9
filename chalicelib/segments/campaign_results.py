"""A campaign's results as other areas read them (the insights area's monthly campaign uplift).

A campaign's conversions are counted for ``campaigns.WINDOW_DAYS`` after each member is reached, and members are
reached until its fan-out is done (``done_at``, which may be after ``ends_at`` for a campaign launched late): its
results are final when ``measurement_ends`` has passed.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from chalicelib.core import clock
from chalicelib.segments import campaigns
from chalicelib.segments.campaign_models import CAMPAIGN_SK


def measurement_ends(image: dict[str, Any]) -> tuple[str, str] | None:
    """``(campaign_id, instant in UTC)`` from a campaign item's stream image (raw): when its conversion windows have all
    closed; None for any other item or a campaign whose fan-out is not done."""
    def s(name: str) -> str:
        return str((image.get(name) or {}).get("S") or "")

    if s("sk") != CAMPAIGN_SK or s("status") != "done" or not s("campaign_id"):
        return None
    last = max(clock.parse(s("ends_at")), clock.parse(s("done_at") or s("ends_at")))
    return s("campaign_id"), clock.iso(last.astimezone(UTC) + timedelta(days=campaigns.WINDOW_DAYS))


def results(campaign_id: str) -> dict[str, int]:
    """Members treated (sent) and held out, and the conversions of each group, as the campaign counts them."""
    view = campaigns.view(campaign_id)
    return {"treated": int(view["sent"]), "holdout": int(view["holdout"]),
            "treated_conversions": int(view["conversions"]["treated"]),
            "holdout_conversions": int(view["conversions"]["holdout"])}
