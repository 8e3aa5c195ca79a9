"""Segments' front door: what other areas may use of segments and campaigns (the rest of the folder is its own).

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from chalicelib.segments import campaign_results

measurement_ends = campaign_results.measurement_ends
"""When a finished campaign's conversion windows have all closed, from its item's stream image."""

results = campaign_results.results
"""A campaign's members treated and held out, and the conversions of each group."""
