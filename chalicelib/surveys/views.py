"""The surveys section of the agents' 360 view: the member's newest surveys, with scores and callbacks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core.area import Section360
from chalicelib.core.dynamo import paging
from chalicelib.surveys.answers import status_of
from chalicelib.surveys.models import SURVEY_PREFIX, SurveyItem

RECENT_360 = 10


def _read(customer_id: str) -> list[dict[str, Any]]:
    return paging.newest(customer_id, SURVEY_PREFIX, RECENT_360)


def _render(raw: list[dict[str, Any]], _member: Any, now: datetime) -> dict[str, Any]:
    out = []
    for r in raw:
        item = SurveyItem.from_raw_data(r)
        out.append({"survey_id": item.survey_id, "kind": item.kind, "title": item.title, "scale": item.scale,
                    "status": status_of(item, now), "score": int(item.score) if item.score is not None else None,
                    "solved_first_contact": item.solved_first_contact, "comment": item.comment,
                    "issued_at": item.issued_at, "answered_at": item.answered_at,
                    "callback_case_id": item.callback_case_id, "subject_id": item.subject_id,
                    "withdrawn_at": item.withdrawn_at,
                    "points_reversed": int(item.points_reversed) if item.points_reversed is not None else None})
    return {"surveys": out}


member_360 = Section360(read=_read, render=_render, keys="chalicelib.surveys.http.schemas:Member360Surveys")
