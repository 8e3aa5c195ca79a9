"""Privacy's front door: what other areas may use of consents and data rights.

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from chalicelib.privacy import consents

partner_sharing_given = consents.partner_sharing_given
"""Whether alliance partners may recognise the member (the ``partner_sharing`` consent)."""
