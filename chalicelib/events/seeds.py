"""The local stack's demo events (idempotent: fixed IDs, created once): one upcoming event open to every tier and
one for gold and above, a week from the day they are first seeded."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from pynamodb.exceptions import PutError

from chalicelib.core import clock
from chalicelib.core.calendar import SHANGHAI, business_day
from chalicelib.events import editing

SEEDS = (
    ("ev_5eed00000001", {"title": "会员感恩茶话会", "description": "新品试用与茶歇，欢迎所有会员。",
                         "venue": "徐家汇旗舰店（上海市徐汇区虹桥路 1 号）", "capacity": 30, "check_in_points": 50,
                         "participant_tags": ["tea_party"]}, 7),
    ("ev_5eed00000002", {"title": "金卡会员品鉴晚宴", "description": "金卡及以上会员专享，限额报名。",
                         "venue": "静安嘉里中心 2 楼", "capacity": 12, "tiers": ["gold", "platinum"],
                         "check_in_points": 200, "participant_tags": ["gourmet"], "waitlist_order": "tiers_first",
                         "priority_tiers": ["platinum"]}, 10),
)


def seed_defaults() -> None:
    today = business_day(clock.now())
    for event_id, fields, days in SEEDS:
        starts = datetime.combine(today + timedelta(days=days), time(14, 0), SHANGHAI)
        try:
            editing.new_event({**fields, "starts_at": starts, "ends_at": starts + timedelta(hours=3)},
                                 "seed", "approved", None, event_id=event_id)
        except PutError:
            continue  # seeded before
