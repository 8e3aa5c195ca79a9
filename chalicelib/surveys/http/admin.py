"""Operators (role admin): the points a survey answer earns, and the supervisors' summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.surveys import aggregates, points_settings
else:  # loaded when a view first runs (core/lazy.py)
    aggregates = lazy_module("chalicelib.surveys.aggregates")
    points_settings = lazy_module("chalicelib.surveys.points_settings")

api = Api(__name__, "admin", schemas="chalicelib.surveys.http.schemas")

GROUP_EXAMPLE = {
    "group": "st_sh_xujiahui", "issued": 40, "responses": 25, "response_rate": 0.625,
    "csat": {"responses": 25, "average": 4.32, "satisfied_rate": 0.84},
    "nps": {"responses": 0, "score": None, "promoters": 0, "detractors": 0},
    "first_contact_resolution_rate": None, "callbacks": {"opened": 2, "closed": 2, "closed_in_sla": 1},
}


@api.route("/v1/admin/surveys/summary", "GET", auth="admin", query="SurveySummaryQuery", response="SurveySummaryOut",
           errors=("validation_error", "summary_range_too_large"),
           summary="Survey figures per store, agent, event or month over Shanghai days [from, to]: responses, "
                   "response rate, CSAT average and % satisfied, NPS, first-contact resolution, callbacks in SLA",
           examples={"response": {"by": "store", "from": "2026-12-01", "to": "2026-12-31", "items": [GROUP_EXAMPLE]}})
def survey_summary(ctx: RequestContext) -> dict:
    """Read from counters kept as surveys are issued and answered (one Query; two pages at most)."""
    q = ctx.query
    return aggregates.summary(q.by, q.from_, q.to)


@api.route("/v1/admin/surveys/settings", "GET", auth="admin", response="SurveySettingsOut", errors=(),
           summary="The points a survey answer earns, per kind (SURVEY_POINTS)",
           examples={"response": {"points": {"case": 20, "appointment": 20, "event": 30}}})
def get_survey_settings(ctx: RequestContext) -> dict:
    """Live in every process within 5 s of a change."""
    return points_settings.view()


@api.route("/v1/admin/surveys/settings", "PUT", auth="admin", body="SurveySettingsIn", response="SurveySettingsOut",
           errors=("validation_error", "malformed_json"),
           summary="Set the points a survey answer earns, per kind (kinds not given keep theirs)",
           examples={"request": {"points": {"event": 50}},
                     "response": {"points": {"case": 20, "appointment": 20, "event": 50}}})
def put_survey_settings(ctx: RequestContext) -> dict:
    """0 points: answers earn nothing (and write no ledger entry)."""
    assert ctx.principal is not None
    given = {k: v for k, v in ctx.body.points.model_dump().items() if v is not None}
    return points_settings.put(given, ctx.principal.staff_id or ctx.principal.subject)
