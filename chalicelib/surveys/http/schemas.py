"""Request and response models of ``chalicelib/surveys/http/member.py`` and ``admin_api.py`` (imported on first use).

Class names are OpenAPI component names: keep them unique across the app.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from chalicelib.core.http.models import Body, Out, PageQuery, Query

SurveyKind = Literal["case", "appointment", "event"]


class SurveyQuestionOut(Out):
    id: str
    text: str
    type: Literal["score", "boolean", "text"]
    min: int | None = None
    max: int | None = None
    max_length: int | None = None


class SurveySubjectOut(Out):
    type: SurveyKind
    id: str
    title: str


class SurveyAnswerView(Out):
    score: int | None
    solved_first_contact: bool | None = None
    comment: str | None = None
    answered_at: str | None
    points_awarded: int
    points_reversed: int = Field(default=0, description="taken back when the service was voided afterwards")


class SurveyOut(Out):
    survey_id: str
    kind: SurveyKind
    subject: SurveySubjectOut
    scale: Literal["csat", "nps"]
    questions: list[SurveyQuestionOut]
    points: int = Field(description="points an answer earns (open), or earned (answered)")
    status: Literal["open", "answered", "expired", "withdrawn"]
    issued_at: str
    expires_at: str
    answer: SurveyAnswerView | None = None
    withdrawn_at: str | None = Field(default=None, description="when its service was voided (a no-show after "
                                                               "check-in, a check-in revoked)")


class SurveyList(Out):
    items: list[SurveyOut]
    next_cursor: str | None = None


class SurveyListQuery(PageQuery):
    pass


class SurveyAnswerIn(Body):
    score: int = Field(description="CSAT 1-5 (cases, appointments) or NPS 0-10 (events)")
    solved_first_contact: bool | None = Field(default=None, description="cases only: solved at the first contact?")
    comment: str | None = Field(default=None, description="at most 500 characters, no control characters")


class SurveyAnswerOut(Out):
    survey_id: str
    points_awarded: int
    callback_case_id: str | None = Field(default=None, description="the callback case a detractor's answer opened")


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date YYYY-MM-DD") from None


Day = Annotated[str, StringConstraints(min_length=10, max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$"),
                AfterValidator(_day)]


class SurveySummaryQuery(Query):
    from_: Day = Field(alias="from", description="first Shanghai day counted, YYYY-MM-DD")
    to: Day = Field(description="last Shanghai day counted, YYYY-MM-DD")
    by: Literal["store", "agent", "event", "month"]


class SurveyCsatOut(Out):
    responses: int
    average: float | None
    satisfied_rate: float | None = Field(description="share of CSAT answers of 4 or 5")


class SurveyNpsOut(Out):
    responses: int
    score: float | None = Field(description="% promoters (9-10) - % detractors (0-6)")
    promoters: int
    detractors: int


class SurveyCallbacksOut(Out):
    opened: int
    closed: int
    closed_in_sla: int


class SurveyGroupOut(Out):
    group: str
    issued: int
    responses: int
    response_rate: float | None
    csat: SurveyCsatOut
    nps: SurveyNpsOut
    first_contact_resolution_rate: float | None
    callbacks: SurveyCallbacksOut


class SurveySummaryOut(Out):
    by: str
    from_: str = Field(alias="from")
    to: str
    items: list[SurveyGroupOut]


class SurveyPointsIn(Body):
    case: int | None = Field(default=None, ge=0, le=10000)
    appointment: int | None = Field(default=None, ge=0, le=10000)
    event: int | None = Field(default=None, ge=0, le=10000)


class SurveySettingsIn(Body):
    points: SurveyPointsIn


class SurveyPointsOut(Out):
    case: int
    appointment: int
    event: int


class SurveySettingsOut(Out):
    points: SurveyPointsOut


class Survey360(Out):
    """One of the member's newest surveys, as the agents' 360 view shows it."""

    survey_id: str
    kind: SurveyKind
    title: str
    scale: Literal["csat", "nps"]
    status: Literal["open", "answered", "expired", "withdrawn"]
    score: int | None
    solved_first_contact: bool | None
    comment: str | None
    issued_at: str
    answered_at: str | None
    callback_case_id: str | None
    subject_id: str
    withdrawn_at: str | None = None
    points_reversed: int | None = None


class Member360Surveys(Out):
    """The keys the surveys section adds to the agents' 360 view: the member's newest surveys."""

    surveys: list[Survey360]
