"""Benefits' front door: what other areas may use of benefits (the rest of the folder is its own).

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from chalicelib.benefits import birthdays, models, vouchers

index_keys = birthdays.index_keys
"""The birthday index keys (``gsi2``) of a profile whose birthday is set."""

GiftMarkerItem = models.GiftMarkerItem
"""The marker of a one-off grant issued (gift pack, birthday gift): written once per member and year."""

new_voucher = vouchers.new_voucher
"""A new voucher item for a member (not yet written)."""

put_in = vouchers.put_in
"""Put a new voucher into a caller's transaction, on the expiry index (its reminder 3 days before)."""
