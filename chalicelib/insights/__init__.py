"""Insights: programme health and the points liability (issue 25).

- Day and month counters kept from the table's stream (``facts`` -> ``counting``): each fact counted exactly once by
  a marker put in the same transaction as its ADDs; shards in separate partitions.
- A nightly job (``nightly``): yesterday's Plus lapses, the members base, and the day reconciled against the ledger.
- Month-end close (``closes``): an immutable snapshot built by a pass over the ledger and buckets fanned out through
  SQS (``ledger_pass``), never a Scan in a request.
- Health rates per month (``health``): one BatchGetItem of month counters. CSV for spreadsheets (``csv_out``).
"""

from chalicelib.core.area import Area, FollowUpHooks, Job, StreamHandler
from chalicelib.insights.errors import ERRORS

AREA = Area(
    name="insights",
    routes=("admin",),
    errors=ERRORS,
    stream_handlers=(
        StreamHandler("chalicelib.insights.counting:handle_raw",
                      sk_prefixes=("L#", "M#PROFILE", "V#", "RDM#", "M#PLUS", "H#PLUSORDER#", "H#APPT#", "REG#",
                                   "H#SURVEY#"),
                      events=("INSERT", "MODIFY")),
        StreamHandler("chalicelib.insights.campaign_uplift:handle_raw", sk_prefixes=("CAMP",), events=("MODIFY",)),
    ),
    jobs=(Job("insights_nightly", "cron(0 17 * * ? *)", "chalicelib.insights.nightly:nightly",
              doc="Daily at 01:00 Asia/Shanghai: yesterday's Plus lapses counted, the members base copied onto the "
                  "month, and yesterday's counters reconciled against the ledger by a pass fanned out through SQS."),),
    retry_handlers={"insights_pass": "chalicelib.insights.ledger_pass:handle"},
    followups={"insights_pass": FollowUpHooks(exhausted="chalicelib.insights.ledger_pass:exhausted")},
    member_360_none="programme-wide figures: nothing of one member",
    personal_data="chalicelib.insights.personal_data:REGISTRY",
)
