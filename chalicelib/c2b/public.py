"""C2B's front door: what other areas may use of the C2B requests (the rest of the folder is its own).

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.lazy import front_door

if TYPE_CHECKING:
    from chalicelib.c2b.supports import (
        withdraw as withdraw,
    )

# name -> (its home module in this area, what it is for)
NAMES = {
    "withdraw": ("supports", "Withdraw a member's support of a C2B request, with its units."),
}

if not TYPE_CHECKING:  # a name is imported from its home on first use: a door costs nothing until then
    __getattr__ = front_door(__name__, NAMES)
