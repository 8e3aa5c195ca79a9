"""``SURVEY_POINTS``: the points an answer earns, per survey kind, set by an operator (``PUT
/v1/admin/surveys/settings``) and cached in-process within the table cache's bound (5 s)."""

from __future__ import annotations

from typing import Any

from chalicelib.core import clock
from chalicelib.core.dynamo.table_cache import MAX_STALENESS_SECONDS, TableCache
from chalicelib.surveys import rules
from chalicelib.surveys.models import SETTINGS_PK, SETTINGS_SK, SurveySettingsItem


def _load() -> dict[str, int]:
    try:
        item = SurveySettingsItem.get(SETTINGS_PK, SETTINGS_SK)
    except SurveySettingsItem.DoesNotExist:
        return dict(rules.DEFAULT_POINTS)
    return {**rules.DEFAULT_POINTS, **{k: int(v) for k, v in dict(item.points or {}).items()}}


_cache: TableCache[dict[str, int]] = TableCache(_load, MAX_STALENESS_SECONDS)


def points_for(kind: str) -> int:
    return _cache.get().get(kind, 0)


def view() -> dict[str, Any]:
    return {"points": _cache.get()}


def put(points: dict[str, int], staff_id: str) -> dict[str, Any]:
    merged = {**_load(), **points}
    SurveySettingsItem(SETTINGS_PK, SETTINGS_SK, points=merged, updated_at=clock.iso(), updated_by=staff_id).save()
    _cache.clear()
    return {"points": merged}
