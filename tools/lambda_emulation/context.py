"""The ``context`` Lambda passes to a handler, for every local invocation (API requests, SQS and stream batches,
scheduled jobs): enough of it for chalice, Powertools (idempotency, logger) and our handlers."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"


def current_region() -> str:
    """The region the local stack says it runs in (its dummy AWS environment), ``ap-east-1`` by default."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "ap-east-1"


@dataclass
class LambdaContext:
    """One invocation's context: the remaining time counts down from ``timeout_seconds`` from its creation."""

    function_name: str
    timeout_seconds: float = 30.0
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    region: str = field(default_factory=current_region)
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: Any = None
    client_context: Any = None
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))
