"""A member's service completed: the hook areas offer to whoever acts on it in the same transaction.

The area that completes a service (a follow-up case resolved, an appointment attended, an event checked in) calls
``completed_in(tx, Completion(...))`` inside the transaction of the completion; every area that declares
``Area.service_completed`` adds its items to it (the surveys area: the survey, once per service). The completion's
own condition (the case still claimed, the appointment still booked, the registration still registered) makes it
happen once; the hooks' items commit with it or not at all. The core names no area.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from chalicelib.core import area
from chalicelib.core.dynamo.tx import Tx

ServiceKind = Literal["case", "appointment", "event"]


class Completion(NamedTuple):
    """What was completed, for whom, when; ``groups`` are what supervisors count it by (``store``, ``agent``,
    ``event``); ``detail`` is the completing area's own (a case's kind...)."""

    kind: ServiceKind
    customer_id: str
    service_id: str
    title: str
    at: str
    groups: dict[str, str]
    detail: Mapping[str, Any] = MappingProxyType({})


def completed_in(tx: Tx, completion: Completion) -> None:
    """Add every interested area's items about ``completion`` to ``tx`` (nothing when no area listens)."""
    for hook in area.refs(lambda a: a.service_completed):
        hook(tx, completion)
