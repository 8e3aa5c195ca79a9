"""The audit's scheduled job: verify yesterday's chains (``python -m tools.run_job audit_verify --as-of DAY``
verifies the day before DAY)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.audit import trail
from chalicelib.core import clock
from chalicelib.core.calendar import business_day
from chalicelib.core.observability import logger


def verify_yesterday(event: Any = None) -> dict[str, Any]:
    day = (business_day(clock.now()) - timedelta(days=1)).isoformat()
    result = trail.verify(day)
    if result["ok"]:
        logger.info("audit chains verified", extra={"day": day, "records": result["records"]})
    else:
        logger.error("audit chain broken", extra={"day": day, "first_bad": result["first_bad"]})
    return result
