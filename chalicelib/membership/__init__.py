"""Plus membership, the paid tier: plans, the 7-day trial, buying through WeChat Pay (the channel's product: JSAPI, APP,
H5 or Native; signed notifications and answers), refunds followed to their end,
renewals that extend from the current expiry, reminders before expiry with the year's savings, agents' refunds.
Plus is an overlay on the earned tiers: a Plus member keeps their tier."""

from chalicelib.core.area import Area, FollowUpHooks, Job
from chalicelib.membership.errors import ERRORS
from chalicelib.membership.notices import NOTICES

AREA = Area(
    name="membership",
    member_kinds={"M#PLUS": "one Plus record per member",
                  "M#PLUSSAVED": "one running savings total: the current membership year's, by kind",
                  "M#PLUSUSE": "one marker: the latest Plus-only use (a benefit or reward only Plus gives)"},
    moved_kinds={"M#PLUSORDER#": "H#PLUSORDER#", "M#PLUSSAVE#": "H#PLUSSAVE#"},
    migrate_seed="chalicelib.membership.savings:migrate_seed",
    routes=("member", "integrations", "dev", "agent", "admin"),
    errors=ERRORS,
    notices=NOTICES,
    jobs=(Job("membership_orders_job", "rate(5 minutes)", "chalicelib.membership.jobs:settle_orders",
              doc="Every 5 minutes: orders still pending after a minute are asked of WeChat Pay (a lost notification "
                  "settles them); those past their 15-minute payment window are closed."),
          Job("membership_reminders_job", "cron(0 2 * * ? *)", "chalicelib.membership.jobs:send_reminders",
              doc="Daily at 10:00 Asia/Shanghai (02:00 UTC): renewal reminders 15 and 3 days before a paid "
                  "membership expires, each once, with the year's savings and a renewal voucher."),),
    retry_handlers={"plus_refund": "chalicelib.membership.refunds:retry_handover"},
    followups={"plus_refund": FollowUpHooks(describe="chalicelib.membership.refunds:describe")},
    customer_items=True,
    merge="chalicelib.membership.membership:merge",
    member_view="chalicelib.membership.membership:me_contribution",
    overlay="chalicelib.membership.savings:OVERLAY",
    seeds=("chalicelib.membership.plans:seed_defaults",),
    member_360="chalicelib.membership.membership:member_360",
    personal_data="chalicelib.membership.personal_data:REGISTRY",
    approvals={"refund": "chalicelib.membership.orders:execute_approved_refund"},  # over APPROVAL_THRESHOLD_FEN
)
