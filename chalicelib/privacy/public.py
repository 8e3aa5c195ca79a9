"""Privacy's front door: what other areas may use of consents and data rights.

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.lazy import front_door

if TYPE_CHECKING:
    from chalicelib.privacy.consents import (
        partner_sharing_given as partner_sharing_given,
    )

# name -> (its home module in this area, what it is for)
NAMES = {
    "partner_sharing_given": ("consents",
        "Whether alliance partners may recognise the member (the ``partner_sharing`` consent)."),
}

if not TYPE_CHECKING:  # a name is imported from its home on first use: a door costs nothing until then
    __getattr__ = front_door(__name__, NAMES)
