"""Identity across channels: sign-in (app SMS codes, mini-program, official account), sessions, staff, API keys,
one customer ID per person and the merge of two customers."""

from chalicelib.core.area import Area
from chalicelib.identity.errors import ERRORS

AREA = Area(
    name="identity",
    blueprints=("chalicelib.identity.auth_api", "chalicelib.identity.staff_api", "chalicelib.identity.staff_admin_api",
                "chalicelib.identity.dev_api"),
    errors=ERRORS,
    customer_items=True,
    merge_keeps="the merge itself (directory.merge) moves identities, unionid, channels and missing profile fields",
    member_360_none="the profile area's section shows the customer's identity fields",
)
