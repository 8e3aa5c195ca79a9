"""Events' front door: what other areas may use of events (the rest of the folder is its own).

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from chalicelib.events import registration

cancel = registration.cancel
"""Cancel a member's registration (seat or waiting place); the first waiting member takes the seat."""
