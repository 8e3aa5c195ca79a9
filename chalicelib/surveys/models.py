"""The surveys area's items.

==========================================  ============================================  =========================
item                                        pk / sk                                       notes
==========================================  ============================================  =========================
a survey (one per service)                  ``CUST#<id>`` / ``H#SURVEY#<survey_id>``      ids sort by issue time
the service's marker (put if absent)        ``CUST#<id>`` / ``H#SVSVC#<kind>#<service>``  names the survey
an aggregate shard (kept as answers come)   ``SVAGG#<by>`` / ``<day>#<group>#<shard>``    by: store|agent|event|month
the operator's settings (points per kind)   ``CONFIG#SURVEYS`` / ``SETTINGS``             cached 5 s
==========================================  ============================================  =========================

Surveys grow with the member's history, so they live under ``H#`` (never in the bounded ``M#`` read); the marker
keyed by the service makes a second issue of one service (a replayed completion) put nothing.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item

SURVEY_PREFIX = "H#SURVEY#"
MARKER_PREFIX = "H#SVSVC#"
AGG_PREFIX = "SVAGG#"
SETTINGS_PK = "CONFIG#SURVEYS"
SETTINGS_SK = "SETTINGS"


class SurveyItem(Item):
    """``status``: open -> answered, either -> withdrawn when the service is voided (``expired`` is computed from
    ``expires_at``); ``groups``: what the summary
    counts it by (``{"store": ...}``, ``{"agent": ...}``, ``{"event": ...}``)."""

    survey_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # case | appointment | event
    scale = UnicodeAttribute()  # csat | nps
    subject_id = UnicodeAttribute()
    title = UnicodeAttribute()
    groups = JSONAttribute()
    status = UnicodeAttribute()  # open | answered | withdrawn (its service voided)
    issued_at = UnicodeAttribute()
    issued_day = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    score = NumberAttribute(null=True)
    solved_first_contact = BooleanAttribute(null=True)
    comment = UnicodeAttribute(null=True)
    answered_at = UnicodeAttribute(null=True)
    points_awarded = NumberAttribute(null=True)
    callback_case_id = UnicodeAttribute(null=True)
    withdrawn_at = UnicodeAttribute(null=True)  # its service voided (a no-show after check-in, a check-in revoked)
    points_reversed = NumberAttribute(null=True)  # the answer's points taken back then


class ServiceMarkerItem(Item):
    """``H#SVSVC#<kind>#<service_id>``: the service has its survey (``survey_id``)."""

    survey_id = UnicodeAttribute()
    issued_at = UnicodeAttribute()


class AggregateItem(Item):
    """One shard of a group's day: counters only ever added to (``ADD``), so shards sum to the group's day."""

    day = UnicodeAttribute()
    group = UnicodeAttribute()


class SurveySettingsItem(Item):
    """``CONFIG#SURVEYS`` / ``SETTINGS``: points per survey kind, set by an operator."""

    points = JSONAttribute()
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)
