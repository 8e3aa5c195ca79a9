"""The surveys area's items in the personal-data registry (``core/personal_data.py``)."""

from chalicelib.core.personal_data import Kind
from chalicelib.surveys.models import MARKER_PREFIX, SURVEY_PREFIX

REGISTRY = {
    "SurveyItem": Kind(
        where=(SURVEY_PREFIX,),
        export="survey_id kind scale title status issued_at expires_at score solved_first_contact comment answered_at "
               "points_awarded withdrawn_at points_reversed",
        erase="comment",
        plain="survey_id customer_id kind scale subject_id title groups status issued_at issued_day expires_at score "
              "solved_first_contact answered_at points_awarded callback_case_id withdrawn_at points_reversed"),
    "ServiceMarkerItem": Kind(where=(MARKER_PREFIX,), plain="survey_id issued_at"),
    "AggregateItem": Kind(none="a group's day of counters (store, agent, event, month): no member in it"),
    "SurveySettingsItem": Kind(none="the operator's points per survey kind"),
}
