"""The segments area's section of the agents' 360 view: the member's facts, RFM, lifecycle and segments."""

from __future__ import annotations

from typing import Any

from chalicelib.core.area import Section360
from chalicelib.segments import segments, store


def _render(stored: dict[str, Any] | None, member: Any, now: Any) -> dict[str, Any]:
    if stored is None:
        return {"facts": None}
    view = segments.member_facts_of(str(stored["customer_id"]), stored)
    return {"facts": view["facts"], "segments": view["segments"]}


member_360 = Section360(read=store.read_facts, render=_render,
                        keys="chalicelib.segments.http.admin_schemas:Member360Facts")
