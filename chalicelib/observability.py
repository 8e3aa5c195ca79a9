"""Powertools Logger, Metrics and Tracer, shared by every module.

The logger's formatter runs every record through ``redaction.redact`` so that no phone number,
code, token or secret reaches a log line, whoever wrote the call.
"""

from __future__ import annotations

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
tracer = Tracer(service=SERVICE)
