"""Delivering notifications to members: the table stream's consumer picks channels (mini-program subscription
messages, official-account template messages, SMS; the in-app record always), honours settings, consent and quiet
hours, retries through the retry pipeline and records every attempt on the notification. Also the member's
settings and WeChat subscription grants, the reminders, and the local stage's deliveries list."""

from chalicelib.core.area import Area, FollowUpHooks, Job, StreamHandler
from chalicelib.notifications.notices import NOTICES

AREA = Area(
    name="notifications",
    member_kinds={"M#NOTIFY": "one notification state per member"},
    routes=("member", "dev"),
    notices=NOTICES,
    stream_handlers=(StreamHandler("chalicelib.notifications.stream:handle_raw", sk_prefixes=("N#",),
                                   events=("INSERT",)),),
    jobs=(
        Job("notifications_release_held", "rate(5 minutes)", "chalicelib.notifications.jobs:release_held",
            doc="Every 5 minutes: send the notifications quiet hours held whose release time has come."),
        Job("notifications_reminders", "cron(0 1 * * ? *)", "chalicelib.notifications.reminders:run_daily",
            doc="Daily at 09:00 Asia/Shanghai (01:00 UTC): points expiring in 30 and 7 days, vouchers expiring in "
                "3 days; each reminder once (a marker in the member's partition)."),
    ),
    retry_handlers={"notification_delivery": "chalicelib.notifications.delivery:redo"},
    # a delivery that ran out of retries ends failed on its channel (the next one is tried), never as a case
    followups={"notification_delivery": FollowUpHooks(exhausted="chalicelib.notifications.delivery:exhausted")},
    customer_items=True,
    merge_keeps="deliveries, grants, settings and reminder markers describe what the absorbed customer was sent; "
                "they stay under its ID as history",
    owned_resources="tests.support.owned.notifications:OWNED",
    member_view="chalicelib.notifications.preferences:me_contribution",
    member_360_none="what members were sent is on each notification (the profile section lists them)",
    personal_data="chalicelib.notifications.personal_data:REGISTRY",
)
