"""Segments: member facts kept current from the table's stream, RFM and lifecycle, operators' segments as rules over
facts (exact sizes, `why`), rebuilt by passes fanned out through SQS; campaigns to segments (``campaigns``).

Key choices (the README's "Segments and campaigns" section says more, with the bench's figures):

- One bounded ``FACTS`` item per member (not under ``M#``: the hot read never needs it), updated by the stream
  handler ``facts.handle_raw`` from the items that carry the facts; its own stream record moves the member's
  segments (``evaluation.handle_facts_record``) within seconds.
- An entry or exit is one transaction (membership item, the facts' ``segs`` entry conditioned on the facts version
  evaluated, a sharded counter): sizes are exact and a retried or concurrent evaluation changes nothing twice.
- Passes over all members (a new or changed rule, the nightly pass for time-driven facts and RFM cutoffs, the
  nightly reconciliation of facts against their sources: ``reconcile``) are ``Scan`` parts
  (``Segment``/``TotalSegments``) of the sparse keys-only ``facts`` index, one SQS message each, on the retry
  queue's workers.
- A call-list campaign makes call tasks for agents instead of messages (``call_tasks``); a campaign launched before
  its ``starts_at`` waits, ``scheduled``, for the ``campaigns_start`` job.
"""

from chalicelib.core.area import Area, FollowUpHooks, Job, StreamHandler
from chalicelib.segments.errors import ERRORS
from chalicelib.segments.notices import NOTICES

AREA = Area(
    name="segments",
    routes=("admin", "agent"),
    errors=ERRORS,
    notices=NOTICES,
    stream_handlers=(
        StreamHandler("chalicelib.segments.facts:handle_raw",
                      sk_prefixes=("M#PROFILE", "M#POINTS", "M#BUCKET#", "M#PLUS", "ORDER", "H#APPT#")),
        StreamHandler("chalicelib.segments.evaluation:handle_facts_record", sk_prefixes=("FACTS",),
                      events=("INSERT", "MODIFY")),
        StreamHandler("chalicelib.segments.campaign_conversions:convert", sk_prefixes=("ORDER", "RDM#"),
                      events=("INSERT",)),
    ),
    jobs=(Job("segments_nightly", "cron(30 18 * * ? *)", "chalicelib.segments.rebuild:nightly",
              doc="Daily at 02:30 Asia/Shanghai: every member re-evaluated against every segment (time-driven "
                  "facts) and the RFM quintile cutoffs recomputed, by a Scan fanned out through SQS."),
          Job("segments_reconcile", "cron(0 18 * * ? *)", "chalicelib.segments.reconcile:nightly",
              doc="Daily at 02:00 Asia/Shanghai: every member's facts recomputed from their source items and "
                  "compared with what the stream kept; differences counted by fact and corrected, fanned out "
                  "through SQS."),
          Job("campaigns_start", "rate(1 minute)", "chalicelib.segments.campaigns:start_due",
              doc="Every minute: the campaigns launched ahead of their starts_at whose time has come are fanned "
                  "out (an index Query, no Scan)."),
          Job("call_tasks_lapse", "rate(15 minutes)", "chalicelib.segments.call_tasks:lapse",
              doc="Every 15 minutes: call-list claims past their expires_days go back to the pool."),),
    retry_handlers={"segment_scan": "chalicelib.segments.rebuild:handle",
                    "facts_reconcile": "chalicelib.segments.reconcile:handle",
                    "campaign_page": "chalicelib.segments.campaign_pages:handle_page"},
    followups={"segment_scan": FollowUpHooks(exhausted="chalicelib.segments.rebuild:exhausted"),
               "facts_reconcile": FollowUpHooks(exhausted="chalicelib.segments.reconcile:exhausted"),
               "campaign_page": FollowUpHooks(exhausted="chalicelib.segments.campaign_pages:exhausted")},
    customer_items=True,
    merge_keeps="the facts item follows the stream: the absorbed customer's profile record marks its facts gone "
                "(it leaves every segment) and the survivor's items update its own; campaign markers, caps and the "
                "member's campaign records (H#CAMP...) are what the absorbed customer was sent: they stay as history",
    member_360="chalicelib.segments.hooks:member_360",
    personal_data="chalicelib.segments.personal_data:REGISTRY",
)
