"""The staff audit trail: who did what to whom, why and when, hash-chained per Shanghai day; its verifier."""

from chalicelib.audit.errors import ERRORS
from chalicelib.core.area import Area, Job

AREA = Area(
    name="audit",
    routes=("admin",),
    errors=ERRORS,
    jobs=(Job("audit_verify", "cron(40 16 * * ? *)", "chalicelib.audit.jobs:verify_yesterday",
              doc="Daily at 00:40 Asia/Shanghai: recompute the hash chains of the day before and log any break."),),
    member_360="chalicelib.audit.trail:member_360",
    personal_data="chalicelib.audit.personal_data:REGISTRY",
)
