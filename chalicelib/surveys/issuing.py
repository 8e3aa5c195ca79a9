"""Issuing a survey: once per service, in the transaction that completes the service (``Area.service_completed``).

Two items and a notification join the completion's transaction: the service's marker
``H#SVSVC#<kind>#<service_id>`` and the survey ``H#SURVEY#<survey_id>``, both put if absent (a completion replayed
through another path puts nothing twice: the marker is keyed by the service), the member's notification (the
notifications area delivers it: the WeChat subscription grant given at service time, the official account, SMS), and
the ``issued`` counter of the supervisors' aggregates. A follow-up case of kind ``callback`` (the survey's own
detractor recovery) issues no survey.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from chalicelib.core import notifications
from chalicelib.core.calendar import business_day
from chalicelib.core.config import settings
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.tx import Tx
from chalicelib.core.services import Completion
from chalicelib.surveys import aggregates, points_settings, rules
from chalicelib.surveys.models import MARKER_PREFIX, SURVEY_PREFIX, ServiceMarkerItem, SurveyItem

CALLBACK_KIND = "callback"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(value: int) -> str:
    out = ""
    while True:
        value, rest = divmod(value, 36)
        out = _DIGITS[rest] + out
        if not value:
            return out


def survey_id_for(kind: str, service_id: str, at: datetime) -> str:
    """``svy_<issue time, ms base 36>_<digest of the service>``: sorts by issue time, names its service."""
    digest = hashlib.sha256(f"{kind}\n{service_id}".encode()).hexdigest()[:12]
    return f"svy_{_base36(int(at.timestamp() * 1000)):0>9}_{digest}"


def marker_sk(kind: str, service_id: str) -> str:
    return f"{MARKER_PREFIX}{kind}#{service_id}"


def issue_in(tx: Tx, completion: Completion) -> None:
    """The ``service_completed`` hook: the survey of ``completion`` joins its transaction (none for a callback)."""
    if completion.kind == "case" and completion.detail.get("case_kind") == CALLBACK_KIND:
        return
    at = datetime.fromisoformat(completion.at)
    survey_id = survey_id_for(completion.kind, completion.service_id, at)
    pk = keys.customer_pk(completion.customer_id)
    expires = at + timedelta(days=settings().survey_valid_days)
    day = business_day(at).isoformat()
    tx.put("survey_marker", ServiceMarkerItem(pk=pk, sk=marker_sk(completion.kind, completion.service_id),
                                              survey_id=survey_id, issued_at=completion.at),
           ServiceMarkerItem.pk.does_not_exist())
    tx.put("survey", SurveyItem(
        pk=pk, sk=f"{SURVEY_PREFIX}{survey_id}", survey_id=survey_id, customer_id=completion.customer_id,
        kind=completion.kind, scale=rules.SCALES[completion.kind], subject_id=completion.service_id,
        title=completion.title[:100], groups=dict(completion.groups), status="open", issued_at=completion.at,
        issued_day=day, expires_at=expires.isoformat(timespec="milliseconds"),
    ), SurveyItem.pk.does_not_exist())
    notifications.put_in(tx, completion.customer_id, "survey_issued", {
        "survey_id": survey_id, "kind": completion.kind, "service": completion.title[:40],
        "points": points_settings.points_for(completion.kind),
        "expires_on": business_day(expires).isoformat()}, label="survey_notification")
    aggregates.add_in(tx, completion.groups, day, {"i": 1}, label="survey_issued")
