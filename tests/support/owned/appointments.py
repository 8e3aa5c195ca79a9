"""The appointments area's member-owned resources, for the cross-member 404 test (its manifest's
``owned_resources``): a store with a service, and one booking of the member for tomorrow (Shanghai)."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from chalicelib.appointments import catalogue
from chalicelib.core import clock
from chalicelib.core.calendar import SHANGHAI, business_day

EVERY_DAY = [{"weekday": d, "opens": "10:00", "closes": "20:00"} for d in range(1, 8)]


def make_service(capacity: int = 5) -> tuple[str, str]:
    """A store open every day 10:00-20:00 with a 30-minute service: ``(store_id, service_id)``."""
    store_id = catalogue.create_store({"name": "contract", "city": "上海", "address": "contract road 1",
                                       "opening_hours": EVERY_DAY}, "contract")
    service_id = catalogue.create_service(store_id, {"name": "contract", "duration_minutes": 30,
                                                     "capacity": capacity}, "contract")
    return store_id, service_id


def _booked(api: Any, token: str) -> dict[str, str]:
    store_id, service_id = make_service()
    tomorrow = business_day(clock.now()) + timedelta(days=1)
    start = datetime.combine(tomorrow, time(10, 0), SHANGHAI)
    status, body, _ = api.call("POST", "/v1/appointments",
                               {"store_id": store_id, "service_id": service_id, "slot_start": start.isoformat()},
                               token=token, headers={"idempotency-key": f"k-{uuid.uuid4().hex}"})
    assert status == 201, body
    return {"appointment_id": body["appointment_id"]}


OWNED = {
    "/v1/appointments/{appointment_id}/cancel": _booked,
    "/v1/appointments/{appointment_id}/reschedule": _booked,
    "/v1/me/appointments/{appointment_id}": _booked,
}
