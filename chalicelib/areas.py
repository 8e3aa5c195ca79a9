"""Every area of the system, in the order their routes, jobs and 360 sections are listed.

Adding an area: a package with its manifest (``AREA = Area(...)`` in its ``__init__.py``) and one line here.
"""

from __future__ import annotations

from chalicelib import (
    appointments,
    benefits,
    c2b,
    console,
    events,
    followups,
    identity,
    insights,
    mall,
    membership,
    notifications,
    points,
    privacy,
    profile,
    segments,
    surveys,
)
from chalicelib.core.area import Area, install

AREAS: tuple[Area, ...] = (
    identity.AREA,
    profile.AREA,
    points.AREA,
    benefits.AREA,
    mall.AREA,
    followups.AREA,
    console.AREA,
    appointments.AREA,
    events.AREA,
    membership.AREA,
    notifications.AREA,
    c2b.AREA,
    surveys.AREA,
    privacy.AREA,
    segments.AREA,
    insights.AREA,
)

install(AREAS)
