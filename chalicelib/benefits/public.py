"""Benefits' front door: what other areas may use of benefits (the rest of the folder is its own).

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.lazy import front_door

if TYPE_CHECKING:
    from chalicelib.benefits.birthdays import (
        index_keys as index_keys,
    )
    from chalicelib.benefits.models import (
        GiftMarkerItem as GiftMarkerItem,
    )
    from chalicelib.benefits.vouchers import (
        new_voucher as new_voucher,
    )
    from chalicelib.benefits.vouchers import (
        put_in as put_in,
    )

# name -> (its home module in this area, what it is for)
NAMES = {
    "index_keys": ("birthdays", "The birthday index keys (``gsi2``) of a profile whose birthday is set."),
    "GiftMarkerItem": ("models",
        "The marker of a one-off grant issued (gift pack, birthday gift): written once per member and year."),
    "new_voucher": ("vouchers", "A new voucher item for a member (not yet written)."),
    "put_in": ("vouchers",
        "Put a new voucher into a caller's transaction, on the expiry index (its reminder 3 days before)."),
}

if not TYPE_CHECKING:  # a name is imported from its home on first use: a door costs nothing until then
    __getattr__ = front_door(__name__, NAMES)
