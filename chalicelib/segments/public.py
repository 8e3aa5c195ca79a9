"""Segments' front door: what other areas may use of segments and campaigns (the rest of the folder is its own).

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.lazy import front_door

if TYPE_CHECKING:
    from chalicelib.segments.campaign_results import (
        measurement_ends as measurement_ends,
    )
    from chalicelib.segments.campaign_results import (
        results as results,
    )

# name -> (its home module in this area, what it is for)
NAMES = {
    "measurement_ends": ("campaign_results",
        "When a finished campaign's conversion windows have all closed, from its item's stream image."),
    "results": ("campaign_results", "A campaign's members treated and held out, and the conversions of each group."),
}

if not TYPE_CHECKING:  # a name is imported from its home on first use: a door costs nothing until then
    __getattr__ = front_door(__name__, NAMES)
