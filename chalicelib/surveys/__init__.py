"""Service surveys: a survey issued by every service a member receives (a follow-up case resolved, an appointment
attended, an event checked in), answered once for points, an unhappy answer called back by an agent, and the
supervisors' figures kept as answers arrive.

- Issued in the completion's own transaction (``Area.service_completed``, ``issuing.py``), once per service.
- Answered once (``answers.py``): the points (ledger kind ``survey``), the counters and the callback case in the
  answer's transaction, conditioned on the survey still open.
- Detractors (CSAT 1-2, NPS 0-6) get a follow-up case of kind ``callback`` (``callbacks.py``), in the agents' queue
  with the same targets as every case; resolving it issues no survey.
- The summary (``aggregates.py``) reads sharded counters: one Query per request.
- A service voided afterwards (``Area.service_voided``, ``voiding.py``) withdraws its survey and takes its points back.
- Merges (``hooks.py``): the absorbed customer's surveys move to the survivor.
"""

from chalicelib.core.area import Area, FollowUpHooks
from chalicelib.surveys.errors import ERRORS
from chalicelib.surveys.notices import NOTICES

AREA = Area(
    name="surveys",
    routes=("member", "admin"),
    errors=ERRORS,
    notices=NOTICES,
    followups={"callback": FollowUpHooks(settle="chalicelib.surveys.callbacks:settle",
                                         describe="chalicelib.surveys.callbacks:describe")},
    service_completed=("chalicelib.surveys.issuing:issue_in",),
    service_voided=("chalicelib.surveys.voiding:void_part",),
    customer_items=True,
    merge="chalicelib.surveys.hooks:merge",
    owned_resources="tests.support.owned.surveys:OWNED",
    member_360="chalicelib.surveys.views:member_360",
    personal_data="chalicelib.surveys.personal_data:REGISTRY",
)
