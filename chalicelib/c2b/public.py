"""C2B's front door: what other areas may use of the C2B requests (the rest of the folder is its own).

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from chalicelib.c2b import supports

withdraw = supports.withdraw
"""Withdraw a member's support of a C2B request, with its units."""
