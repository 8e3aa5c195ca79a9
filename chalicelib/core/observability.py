"""Powertools Logger, Metrics and Tracer, shared by every module.

The logger's formatter runs every record through ``redaction.redact`` so that no phone number,
code, token or secret reaches a log line, whoever wrote the call.

Lambda serves one request per process at a time; the local stack's threaded servers and the in-process test server
do not. So the per-request state is kept per thread: the logger's appended keys (Powertools' thread-safe keys) and
the metrics (one ``EphemeralMetrics`` per thread), and one request's flush never takes or empties another's.

The tracer is made on first use and only inside Lambda with tracing on: outside Lambda the X-Ray
SDK builds its sampler with two botocore clients, which the local stack and tests need not pay (the ``local`` stage
also sets ``POWERTOOLS_TRACE_DISABLED``). Lambda's own segment cannot be annotated (the SDK raises on a facade
segment), so each request, batch or job runs in a subsegment of its own (``traced``) that carries the annotations:
route, area, channel, never anything about the person.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import EphemeralMetrics

from chalicelib.core.config import live
from chalicelib.core.redaction import redact

SERVICE = "member-portal"


class RedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]  # Powertools types log as dict only
        return super().serialize(redact(log))


class _PerThreadKeysLogger(Logger):
    """``append_keys``/``remove_keys`` act on the calling thread's keys only."""

    def append_keys(self, **additional_keys: Any) -> None:
        self.thread_safe_append_keys(**additional_keys)

    def remove_keys(self, keys: Iterable[str]) -> None:
        self.thread_safe_remove_keys(list(keys))

    def get_current_keys(self) -> dict[str, Any]:
        return {**super().get_current_keys(), **self.thread_safe_get_current_keys()}


class _PerThreadMetrics:
    """Stands for the calling thread's ``EphemeralMetrics`` (its own metric set, dimensions and metadata)."""

    _local = threading.local()

    def _current(self) -> EphemeralMetrics:
        current = getattr(self._local, "metrics", None)
        if current is None:
            current = self._local.metrics = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
        return current

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current(), name)


NAMESPACE = "MemberPortal"
logger = _PerThreadKeysLogger(service=SERVICE, logger_formatter=RedactingFormatter())
metrics: Any = _PerThreadMetrics()


@contextlib.contextmanager
def flushing_metrics() -> Iterator[None]:
    """Flush what a request, worker batch or job measured on this thread, and start the next one empty."""
    try:
        yield
    finally:
        try:
            if metrics.metric_set:
                metrics.flush_metrics()
        finally:
            metrics.clear_metrics()


def tracing_enabled() -> bool:
    disabled = live("POWERTOOLS_TRACE_DISABLED").lower() in ("1", "true")
    return bool(live("AWS_LAMBDA_FUNCTION_NAME")) and not disabled


# What the app calls out through: AWS (botocore) and WeChat, WeChat Pay and partners (urllib3, over http.client).
# Patching every module X-Ray supports cost ~220 ms on a container's first traced request, these two ~65 ms.
TRACED_MODULES = ("botocore", "httplib")


@lru_cache(maxsize=1)
def tracer() -> Tracer:
    return Tracer(service=SERVICE, patch_modules=TRACED_MODULES)


_route = threading.local()


def annotate(**values: str | None) -> None:
    """Add X-Ray annotations to the current subsegment when tracing is on (inside ``traced`` only: Lambda's own
    segment refuses them). ``None`` values are left out."""
    if tracing_enabled() and getattr(_route, "traced", False):
        for key, value in values.items():
            if value is not None:
                tracer().put_annotation(key=key, value=value)


@contextlib.contextmanager
def traced(name: str, **annotations: str | None) -> Iterator[None]:
    """Run a request, batch or job in an X-Ray subsegment ``## name`` with ``annotations``; nothing when tracing is
    off. Also starts the thread's route group afresh (see ``tag_route``)."""
    _route.area = None
    if not tracing_enabled():
        yield
        return
    with tracer().provider.in_subsegment(f"## {name}"):
        _route.traced = True
        try:
            annotate(**annotations)
            yield
        finally:
            _route.traced = False


def tag_route(route: str, area: str, channel: str | None) -> None:
    """What the route layer knows of the request being served: its route template (``GET /v1/me``), the area that
    owns it and the client's channel. Annotates the trace, and names the request's latency metric
    (``route_area``)."""
    _route.area = area
    annotate(route=route, area=area, channel=channel)


def route_area() -> str | None:
    """The area of the route this thread is serving (``None`` before routing, or for an unknown route)."""
    return getattr(_route, "area", None)
