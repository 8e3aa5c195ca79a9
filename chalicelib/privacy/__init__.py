"""The member's data rights (PIPL Art. 15, 45, 47): consent receipts against the published privacy policy."""

from chalicelib.core.area import Area, FollowUpHooks, Job
from chalicelib.privacy.errors import ERRORS

AREA = Area(
    name="privacy",
    member_kinds={"M#PRIVACY": "one privacy state per member (partner sharing, the accepted policy version)"},
    routes=("member", "agent", "admin"),
    errors=ERRORS,
    jobs=(Job("privacy_erase_due", "rate(1 hour)", "chalicelib.privacy.erasure:erase_due",
              doc="Hourly: one erasure message per member whose deletion cooling-off has ended (gsi1 DELETION, no "
                  "Scan); the retry queue's worker erases each (idempotent, resumable)."),),
    retry_handlers={"privacy_export": "chalicelib.privacy.exports:build",
                    "privacy_erasure": "chalicelib.privacy.erasure:erase"},
    # an erasure whose retries ran out, or a request overdue (15 working days), is an agent's case
    followups={"privacy_erasure": FollowUpHooks()},
    customer_items=True,
    merge_keeps="consent receipts record what the absorbed customer agreed to; they stay under its ID as evidence",
    consent_receipts="chalicelib.privacy.consents:record_in",
    member_view="chalicelib.privacy.consents:me_contribution",
    owned_resources="tests.support.owned.privacy:OWNED",
    member_360="chalicelib.privacy.consents:member_360",
    personal_data="chalicelib.privacy.personal_data:REGISTRY",
)
