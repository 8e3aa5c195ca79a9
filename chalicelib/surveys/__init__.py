"""Service surveys: a survey issued by every service a member receives (a follow-up case resolved, an appointment
attended, an event checked in), answered once for points, an unhappy answer called back by an agent, and the
supervisors' figures kept as answers arrive.

- Issued in the completion's own transaction (``Area.service_completed``, ``issuing.py``), once per service.
- Answered once (``answers.py``): the points (ledger kind ``survey``), the counters and the callback case in the
  answer's transaction, conditioned on the survey still open.
- Detractors (CSAT 1-2, NPS 0-6) get a follow-up case of kind ``callback`` (``callbacks.py``), in the agents' queue
  with the same targets as every case; resolving it issues no survey.
- The summary (``aggregates.py``) reads sharded counters: one Query per request.
"""

from chalicelib.core.area import Area, FollowUpHooks
from chalicelib.surveys.errors import ERRORS
from chalicelib.surveys.notices import NOTICES

AREA = Area(
    name="surveys",
    blueprints=("chalicelib.surveys.api", "chalicelib.surveys.admin_api"),
    errors=ERRORS,
    notices=NOTICES,
    followups={"callback": FollowUpHooks(settle="chalicelib.surveys.callbacks:settle",
                                         describe="chalicelib.surveys.callbacks:describe")},
    service_completed=("chalicelib.surveys.issuing:issue_in",),
    customer_items=True,
    merge_keeps="a survey answers for a service the absorbed customer received; it stays with that service "
                "(its callback case, like every case, is resolved under the absorbed ID)",
    owned_resources="tests.support.owned.surveys:OWNED",
    member_360="chalicelib.surveys.views:member_360",
    personal_data="chalicelib.surveys.personal_data:REGISTRY",
)
