"""Failed transactions and agent follow-up: the retry pipeline's cases, the agents' queue and their actions."""

from chalicelib.core.area import Area, Job
from chalicelib.followups.errors import ERRORS

AREA = Area(
    name="followups",
    routes=("agent",),
    errors=ERRORS,
    jobs=(Job("outbox_sweeper", "rate(1 minute)", "chalicelib.followups.retry_pipeline:scheduled_sweep",
              doc="Every minute: send the retry messages whose send failed (the transaction waits in the outbox "
                  "meanwhile), and open the cases of follow-up messages that ended in the follow-up dead-letter "
                  "queue."),
          Job("followups_sla_watch", "rate(5 minutes)", "chalicelib.followups.sla_watch:run",
              doc="Every five minutes: count the waiting follow-up cases and those past their SLA (respond within "
                  "15 minutes, close within 24 hours) as the CasesOpen and CasesPastSla metrics, which are "
                  "alarmed."),),
    customer_items=True,
    merge_keeps="a case follows one transaction of the absorbed customer and is resolved under that ID",
    member_360="chalicelib.followups.cases:member_360",
    personal_data="chalicelib.followups.personal_data:REGISTRY",
)
