"""A voided service withdraws its survey (``Area.service_voided``): an appointment marked a no-show after its
check-in, an event check-in revoked.

The survey is found through the service's marker (under the customer the service names, else under the customer it
was merged into: surveys move with a merge). Unanswered, it is withdrawn (conditioned on still being open: an answer
racing in makes the voiding read again and take the points back instead). Answered, its points come back through the
ledger (kind ``survey_reversal``, reference ``survey:<id>``, by the points area's refund rule) and it is withdrawn
too (conditioned on ``status = answered``). Either way it leaves the supervisors' counters: ``issued`` on its issue
day and its answer's counters on the answer day (a callback case already opened stays counted: the member is still
called back).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core import services
from chalicelib.core.calendar import business_day
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.tx import Tx
from chalicelib.identity import public as identity
from chalicelib.surveys import aggregates, issuing, rules
from chalicelib.surveys.models import SURVEY_PREFIX, ServiceMarkerItem, SurveyItem

LABEL = f"{services.VOID_LABEL}survey"
REVERSAL_KIND = "survey_reversal"


def _marker(customer_id: str, kind: str, service_id: str) -> ServiceMarkerItem | None:
    try:
        return ServiceMarkerItem.get(keys.customer_pk(customer_id), issuing.marker_sk(kind, service_id),
                                     consistent_read=True)
    except ServiceMarkerItem.DoesNotExist:
        return None


def _survey_of(voiding: services.Voiding) -> SurveyItem | None:
    marker = _marker(voiding.customer_id, voiding.kind, voiding.service_id)
    if marker is None:
        live = identity.resolve_customer_id(voiding.customer_id)
        if live == voiding.customer_id:
            return None
        marker = _marker(live, voiding.kind, voiding.service_id)
        if marker is None:
            return None
    try:
        return SurveyItem.get(marker.pk, f"{SURVEY_PREFIX}{marker.survey_id}", consistent_read=True)
    except SurveyItem.DoesNotExist:
        return None


def void_part(voiding: services.Voiding) -> services.VoidPart | None:
    """The ``service_voided`` hook: the survey of the voided service withdrawn, its points taken back."""
    survey = _survey_of(voiding)
    if survey is None or survey.status == "withdrawn":
        return None
    answered = survey.status == "answered"
    points = int(survey.points_awarded or 0) if answered else 0
    reversals: tuple[services.Reversal, ...] = ()
    if points > 0:
        answered_on = business_day(datetime.fromisoformat(str(survey.answered_at)))
        reversals = (services.Reversal(points, REVERSAL_KIND, f"survey:{survey.survey_id}",
                                       answered_on.isoformat()[:7]),)

    def add(tx: Tx) -> None:
        actions: list[Any] = [SurveyItem.status.set("withdrawn"), SurveyItem.withdrawn_at.set(voiding.at)]
        if points > 0:
            actions.append(SurveyItem.points_reversed.set(points))
        tx.update(LABEL, SurveyItem(pk=survey.pk, sk=survey.sk), actions, SurveyItem.status == survey.status)
        by_day: dict[str, dict[str, int]] = {survey.issued_day: {"i": -1}}
        if answered and survey.score is not None:
            day = business_day(datetime.fromisoformat(str(survey.answered_at))).isoformat()
            counted = rules.answer_counters(survey.scale, int(survey.score), survey.solved_first_contact, False)
            by_day.setdefault(day, {}).update({k: -v for k, v in counted.items()})  # one update per item
        for n, (day, counters) in enumerate(by_day.items()):
            aggregates.add_in(tx, dict(survey.groups), day, counters, label=f"survey_void_counts{n}")

    return services.VoidPart(reversals, add)
