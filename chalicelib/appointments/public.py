"""Appointments' front door: what other areas may use of appointments (the rest of the folder is its own).

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from chalicelib.appointments import changing

cancel = changing.cancel
"""Cancel a member's appointment and free its seat in one transaction (as the member's own cancel does)."""
