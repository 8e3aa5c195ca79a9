"""The member's own profile (basic and extended, consents) and notifications inbox: ``/v1/me``."""

from chalicelib.core.area import Area
from chalicelib.profile.errors import ERRORS

AREA = Area(
    name="profile",
    routes=("member",),
    errors=ERRORS,
    customer_items=True,
    merge_keeps="notifications are what the absorbed customer was told; they stay under its ID as history",
    member_360="chalicelib.profile.own_view:member_360",
    personal_data="chalicelib.profile.personal_data:REGISTRY",
)
