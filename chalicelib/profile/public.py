"""The profile's front door: what other areas may use of it.

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.lazy import front_door

if TYPE_CHECKING:
    from chalicelib.profile.own_view import (
        apply_profile_change as apply_profile_change,
    )

# name -> (its home module in this area, what it is for)
NAMES = {
    "apply_profile_change": ("own_view",
        "The profile after a change, with the consent receipts written in the same transaction."),
}

if not TYPE_CHECKING:  # a name is imported from its home on first use: a door costs nothing until then
    __getattr__ = front_door(__name__, NAMES)
