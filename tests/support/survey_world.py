"""The service surveys' tests' world (no tests here): the follow-up world plus the calls the surveys tests make (an
attended appointment, an event checked in, answers, the member's surveys and ledger) on Monday 2026-12-07, 09:00."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from chalicelib.appointments import catalogue
from chalicelib.core import clock
from chalicelib.core.retry import outbox
from chalicelib.identity import api_keys
from chalicelib.surveys import points_settings
from tests.support.clock import at
from tests.support.followup_world import FollowUpWorld

__all__ = ["API_KEY", "MONDAY", "World", "survey_world"]

MONDAY = at(2026, 12, 7, 9, 0)
API_KEY = "surveys-test-key-0123456789"
EVERY_DAY = [{"weekday": d, "opens": "10:00", "closes": "20:00"} for d in range(1, 8)]


class World(FollowUpWorld):
    def call(self, method: str, path: str, token: str | None = None, body: Any = None, expect: int | None = 200,
             headers: dict[str, str] | None = None) -> tuple[int, Any, dict]:
        status, out, out_headers = self.api.call(method, path, body, token=token, headers=headers)
        if expect is not None:
            assert status == expect, (status, out)
        return status, out, out_headers

    def ledger(self, token: str) -> list[dict[str, Any]]:
        return list(self.call("GET", "/v1/me/points/ledger?limit=100", token)[1]["items"])

    def surveys(self, token: str) -> list[dict[str, Any]]:
        return list(self.call("GET", "/v1/me/surveys", token)[1]["items"])

    def answer(self, token: str, survey_id: str, body: dict[str, Any], key: str | None = None,
               expect: int | None = 201, english: bool = False) -> tuple[int, Any, dict]:
        headers = {"idempotency-key": key or uuid.uuid4().hex, **({"accept-language": "en"} if english else {})}
        return self.call("POST", f"/v1/me/surveys/{survey_id}/answers", token, body, expect=expect, headers=headers)

    def attended(self, token: str) -> str:
        """A booking for 10:00 today checked in at the till (twice: the replay answers the first): its ID."""
        store = self.call("POST", "/v1/admin/stores", self.admin, {
            "name": "徐家汇店", "city": "上海", "address": "虹桥路 1 号", "opening_hours": EVERY_DAY}, expect=201)[1]
        service = self.call("POST", f"/v1/admin/stores/{store['store_id']}/services", self.admin,
                            {"name": "肌肤检测", "duration_minutes": 30, "capacity": 2}, expect=201)[1]
        booked = self.call("POST", "/v1/appointments", token, {
            "store_id": store["store_id"], "service_id": service["service_id"],
            "slot_start": at(2026, 12, 7, 10, 0).isoformat()}, expect=201,
            headers={"idempotency-key": uuid.uuid4().hex})[1]
        for _ in range(2):
            self.call("POST", f"/v1/integrations/appointments/{booked['appointment_id']}/check-in",
                      headers={"x-api-key": API_KEY})
        return str(booked["appointment_id"])

    def event(self, check_in_points: int = 0) -> dict[str, Any]:
        """An event that started at 09:30 today (check-in open): the admin's answer (``event_id``,
        ``check_in_code``)."""
        starts = at(2026, 12, 7, 9, 30)
        return dict(self.call("POST", "/v1/admin/events", self.admin, {
            "title": "会员茶话会", "venue": "徐家汇店", "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(), "capacity": 5,
            "check_in_points": check_in_points}, expect=201)[1])

    def checked_in(self, token: str, event: dict[str, Any]) -> None:
        """Registered for ``event`` and checked in with its code."""
        self.call("POST", f"/v1/events/{event['event_id']}/registrations", token, expect=201,
                  headers={"idempotency-key": uuid.uuid4().hex})
        self.call("POST", f"/v1/events/{event['event_id']}/check-in", token,
                  {"check_in_code": event["check_in_code"]})


@contextlib.contextmanager
def survey_world(api: Any, sqs_client: Any, sqs_queues: dict[str, Any]) -> Iterator[World]:
    """The world on Monday 09:00 with fresh caches, the till's API key, and the SQS queues as the retry port."""
    catalogue.reset_cache()
    points_settings._cache.clear()
    clock.set_now(MONDAY)
    previous = outbox.retry_port()
    world = World.make(api)
    api_keys.create_api_key("surveys-tests", API_KEY)
    world.sqs, world.queues = sqs_client, sqs_queues
    try:
        yield world
    finally:
        outbox.set_retry_port(previous)
