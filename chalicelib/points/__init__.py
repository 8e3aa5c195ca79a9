"""Points and tiers: the ledger, buckets and expiry, check-in, orders from tills, back-fill claims, tier rules."""

from chalicelib.core.area import Area, Job
from chalicelib.points.errors import ERRORS

AREA = Area(
    name="points",
    member_kinds={"M#POINTS": "one points state per member",
                  "M#BUCKET#": "one per expiry day still ahead: bounded by the points' validity (expired ones are "
                               "deleted by the daily job)"},
    routes=("member", "admin", "integrations", "agent"),
    errors=ERRORS,
    jobs=(Job("expire_points_job", "cron(10 16 * * ? *)", "chalicelib.points.jobs:run_daily",
              doc="Daily at 00:10 Asia/Shanghai (16:10 UTC): expire due points, apply due tier evaluations."),),
    customer_items=True,
    merge="chalicelib.points.hooks:merge_contributor",
    seeds=("chalicelib.points.programme:seed_defaults",),
    member_360="chalicelib.points.member_views:member_360",
    personal_data="chalicelib.points.personal_data:REGISTRY",
    approvals={"adjustment": "chalicelib.points.adjustments:execute_approved",
               "compensation": "chalicelib.points.compensations:execute_approved"},
)
