"""Appointments' front door: what other areas may use of appointments (the rest of the folder is its own).

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.lazy import front_door

if TYPE_CHECKING:
    from chalicelib.appointments.changing import (
        cancel as cancel,
    )

# name -> (its home module in this area, what it is for)
NAMES = {
    "cancel": ("changing",
        "Cancel a member's appointment and free its seat in one transaction (as the member's own cancel does)."),
}

if not TYPE_CHECKING:  # a name is imported from its home on first use: a door costs nothing until then
    __getattr__ = front_door(__name__, NAMES)
