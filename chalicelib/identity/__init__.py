"""Identity across channels: sign-in (app SMS codes, mini-program, official account), sessions, staff, API keys,
one customer ID per person and the merge of two customers."""

from chalicelib.core.area import Area, Job
from chalicelib.identity.errors import ERRORS

AREA = Area(
    name="identity",
    member_kinds={"M#PROFILE": "one profile per customer"},
    routes=("member", "staff", "admin", "dev"),
    errors=ERRORS,
    jobs=(Job("migrate_member_partition", "rate(1 hour)", "chalicelib.identity.partition_migration:run",
              with_context=True,
              doc="Moves the growing kinds an earlier version kept under the member's M# prefix to their H# keys "
                  "(resumable, idempotent; MEMBER_PARTITION_DRY_RUN=1 counts only); once done, one GetItem a run."),),
    customer_items=True,
    merge_keeps="the merge itself (merges.merge) moves identities, unionid, channels and missing profile fields",
    member_360_none="the profile area's section shows the customer's identity fields",
    personal_data="chalicelib.identity.personal_data:REGISTRY",
)
