"""The profile's front door: what other areas may use of it.

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from chalicelib.profile import members

apply_profile_change = members.apply_profile_change
"""The profile after a change, with the consent receipts written in the same transaction."""
