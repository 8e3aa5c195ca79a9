"""What a use case did, for the HTTP layer to turn into a status and headers.

A use case returns a plain body (the route's declared status) or a ``Result``: the body, and whether it created
something, accepted it for a later retry, or replayed the first answer to a repeated Idempotency-Key. Only the
route layer (``core.http.routing``) knows that these are 201, 202 and ``Idempotent-Replayed: true``.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

Outcome = Literal["ok", "created", "accepted"]


class Result(NamedTuple):
    body: Any
    outcome: Outcome = "ok"
    replayed: bool = False


def created(body: Any) -> Result:
    return Result(body, "created")


def accepted(body: Any) -> Result:
    """Accepted for retry: the side effect finishes later (the retry pipeline)."""
    return Result(body, "accepted")


def ok(body: Any) -> Result:
    return Result(body, "ok")
