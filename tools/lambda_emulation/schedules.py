"""Run the app's ``@app.schedule`` handlers on their schedule, the way EventBridge rules invoke them.

``python -m tools.local_stack --schedules`` starts a ``Scheduler``: one thread that wakes at every minute
boundary (UTC, as EventBridge evaluates cron expressions) and invokes each due job with a CloudWatch
"Scheduled Event" (``scheduled_event``) and a Lambda-like context, each run on its own thread.

- ``rate(N minute|minutes|hour|hours|day|days)``: first run N units after the scheduler starts, then every N
  units (EventBridge, too, starts counting when the rule is created).
- ``cron(minutes hours day-of-month month day-of-week year)``: EventBridge's six fields; ``*``, ``?``, lists
  (``1,15``), ranges (``1-5``), steps (``0/15``, ``*/10``), month and weekday names (``JAN``, ``MON-FRI``);
  day-of-week counts 1 = SUN .. 7 = SAT. ``L``, ``W`` and ``#`` are not supported (no job here uses them).
- A job still running when it is due again is skipped for that tick (logged), not run twice at once.

``python -m tools.run_job NAME`` still runs any job once, on demand.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tools.lambda_emulation.context import ACCOUNT_ID, LambdaContext, current_region

log = logging.getLogger("local_stack.schedules")

MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
MONTHS = {name: i for i, name in enumerate(MONTH_NAMES, start=1)}
WEEKDAYS = {name: i for i, name in enumerate(WEEKDAY_NAMES, start=1)}
RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def scheduled_event(rule: str, region: str | None = None, at: datetime | None = None) -> dict[str, Any]:
    """The event an EventBridge rule named ``rule`` sends at ``at`` (now by default)."""
    region = region or current_region()
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{rule}"],
        "detail": {},
    }


def scheduled_jobs(chalice_app: Any) -> dict[str, Any]:
    """Function name -> the schedule's event source config."""
    return {
        source.name: source
        for source in getattr(chalice_app, "event_sources", [])
        if type(source).__name__ == "ScheduledEventConfig"
    }


def expression_of(source: Any) -> str:
    """The ``rate(...)``/``cron(...)`` string of a chalice ``ScheduledEventConfig`` (or of a Rate/Cron/str)."""
    expression = getattr(source, "schedule_expression", source)
    return expression if isinstance(expression, str) else expression.to_string()


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int] | None:
    """The values one cron field allows; None for ``*``/``?`` (anything)."""
    text = text.strip().upper()
    if text in ("*", "?"):
        return None
    if any(mark in text for mark in ("L", "W", "#")) and not (names and any(n in text for n in names)):
        raise ValueError(f"cron field {text!r}: L, W and # are not supported locally")

    def value(token: str) -> int:
        if names and token in names:
            return names[token]
        number = int(token)
        if not low <= number <= high:
            raise ValueError(f"cron value {number} outside {low}-{high}")
        return number

    allowed: set[int] = set()
    for part in text.split(","):
        step, stepped = 1, "/" in part
        if stepped:
            part, step_text = part.split("/", 1)
            step = int(step_text)
            if step < 1:
                raise ValueError(f"cron step {step_text!r}")
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = value(first), value(last)
        else:
            start = value(part)
            end = high if stepped else start
        allowed.update(range(start, end + 1, step))
    return frozenset(allowed)


@dataclass(frozen=True)
class Cron:
    """An EventBridge cron expression, evaluated in UTC to the minute."""

    minutes: frozenset[int] | None
    hours: frozenset[int] | None
    days: frozenset[int] | None
    months: frozenset[int] | None
    weekdays: frozenset[int] | None
    years: frozenset[int] | None

    @classmethod
    def parse(cls, fields: str) -> Cron:
        parts = fields.split()
        if len(parts) != 6:
            raise ValueError(f"cron({fields}): EventBridge wants six fields")
        return cls(
            _field(parts[0], 0, 59),
            _field(parts[1], 0, 23),
            _field(parts[2], 1, 31),
            _field(parts[3], 1, 12, MONTHS),
            _field(parts[4], 1, 7, WEEKDAYS),
            _field(parts[5], 1970, 2199),
        )

    def matches(self, when: datetime) -> bool:
        when = when.astimezone(UTC)
        weekday = when.isoweekday() % 7 + 1  # Monday=1..Sunday=7 -> SUN=1..SAT=7
        checks = (
            (self.minutes, when.minute),
            (self.hours, when.hour),
            (self.days, when.day),
            (self.months, when.month),
            (self.weekdays, weekday),
            (self.years, when.year),
        )
        return all(allowed is None or value in allowed for allowed, value in checks)


@dataclass
class Rate:
    seconds: int

    @classmethod
    def parse(cls, body: str) -> Rate:
        amount, _, unit = body.strip().partition(" ")
        if unit.strip() not in RATE_UNITS or int(amount) < 1:
            raise ValueError(f"rate({body}): want 'N minute(s)|hour(s)|day(s)'")
        return cls(int(amount) * RATE_UNITS[unit.strip()])


def parse_expression(expression: str) -> Cron | Rate:
    match = re.fullmatch(r"\s*(rate|cron)\((.*)\)\s*", expression)
    if not match:
        raise ValueError(f"not a schedule expression: {expression!r}")
    kind, body = match.groups()
    return Rate.parse(body) if kind == "rate" else Cron.parse(body)


@dataclass
class Job:
    name: str
    expression: str
    handler: Callable[[Any, Any], Any]
    schedule: Cron | Rate
    next_rate_run: datetime | None = None
    running: threading.Thread | None = None
    runs: int = 0
    failures: int = 0

    def due(self, minute: datetime) -> bool:
        if isinstance(self.schedule, Cron):
            return self.schedule.matches(minute)
        if self.next_rate_run is None or minute < self.next_rate_run:
            return False
        while self.next_rate_run <= minute:
            self.next_rate_run += timedelta(seconds=self.schedule.seconds)
        return True


@dataclass
class Scheduler:
    """Invokes due jobs at each minute boundary until ``stop()``; ``tick(minute)`` does one boundary (tests)."""

    jobs: list[Job]
    invoke: Callable[[Job], Any]
    clock: Callable[[], float] = time.time
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @classmethod
    def for_app(cls, chalice_app: Any, *, app_name: str = "member-portal", stage: str = "local") -> Scheduler:
        import importlib

        jobs = []
        for name, source in scheduled_jobs(chalice_app).items():
            module_name, _, attribute = source.handler_string.rpartition(".")
            handler = getattr(importlib.import_module(module_name), attribute)
            expression = expression_of(source)
            jobs.append(Job(name, expression, handler, parse_expression(expression)))

        def invoke(job: Job) -> Any:
            function = f"{app_name}-{stage}-{job.name}"
            return job.handler(scheduled_event(function), LambdaContext(function_name=function, timeout_seconds=900))

        return cls(jobs, invoke)

    def start(self) -> None:
        started = datetime.fromtimestamp(self.clock(), UTC).replace(second=0, microsecond=0)
        for job in self.jobs:
            if isinstance(job.schedule, Rate):
                job.next_rate_run = started + timedelta(seconds=job.schedule.seconds)
        self._thread = threading.Thread(target=self._run, name="schedules", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            now = self.clock()
            boundary = (int(now) // 60 + 1) * 60
            if self._stopping.wait(max(0.0, boundary - now)):
                return
            self.tick(datetime.fromtimestamp(boundary, UTC))

    def tick(self, minute: datetime) -> list[str]:
        """Start every job due at ``minute``; returns the names started."""
        started = []
        for job in self.jobs:
            if not job.due(minute):
                continue
            if job.running is not None and job.running.is_alive():
                log.warning("scheduled job %s is still running: skipped at %s", job.name, minute.isoformat())
                continue
            job.running = threading.Thread(target=self._one, args=(job,), name=f"schedule-{job.name}", daemon=True)
            job.running.start()
            started.append(job.name)
        return started

    def _one(self, job: Job) -> None:
        job.runs += 1
        try:
            result = self.invoke(job)
            log.info("scheduled job %s done%s", job.name, f": {result!r}" if result is not None else "")
        except Exception:
            job.failures += 1
            log.exception("scheduled job %s failed", job.name)
