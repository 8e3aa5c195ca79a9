"""Powertools Logger, Metrics and Tracer, shared by every module.

The logger's formatter runs every record through ``redaction.redact`` so that no phone number,
code, token or secret reaches a log line, whoever wrote the call.

The tracer is made on first use and only inside Lambda with tracing on: outside Lambda the X-Ray
SDK builds its sampler with two botocore clients, which the local stack and tests need not pay.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from chalicelib.redaction import redact

SERVICE = "member-portal"


class RedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]
        return super().serialize(redact(log))


logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
metrics = Metrics(namespace="MemberPortal", service=SERVICE)


def tracing_enabled() -> bool:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in ("1", "true")
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and not disabled


@lru_cache(maxsize=1)
def tracer() -> Tracer:
    return Tracer(service=SERVICE)


def annotate(**values: str) -> None:
    """Add X-Ray annotations to the current segment when tracing is on."""
    if tracing_enabled():
        for key, value in values.items():
            tracer().put_annotation(key=key, value=value)
