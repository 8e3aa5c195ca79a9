"""A member's service completed, or voided afterwards: the hooks areas offer to whoever acts on it in the same
transaction.

The area that completes a service (a follow-up case resolved, an appointment attended, an event checked in) calls
``completed_in(tx, Completion(...))`` inside the transaction of the completion; every area that declares
``Area.service_completed`` adds its items to it (the surveys area: the survey, once per service). The completion's
own condition (the case still claimed, the appointment still booked, the registration still registered) makes it
happen once; the hooks' items commit with it or not at all. The core names no area.

A service voided afterwards (an appointment turned out a no-show, an event check-in revoked) is the reverse move: the
voiding area asks ``voided(Voiding(...))`` for every interested area's part (read before the transaction: points to
take back and the items to write), takes the points back through the points area and writes the parts' items in the
same transaction as its own change. A part's items carry conditions on what was read (labels starting ``void:``): a
change in between cancels the transaction and the voiding area reads again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


class Voiding(NamedTuple):
    """A completed service declared void afterwards: by whom (a staff ID), why, when."""

    kind: ServiceKind
    customer_id: str
    service_id: str
    at: str
    by: str
    reason: str


class Reversal(NamedTuple):
    """Points a voided service takes back: ``points`` earned under ledger ``reference`` in ``month`` (the tier
    metric month they counted in, ``YYYY-MM``), reversed with ledger kind ``kind``."""

    points: int
    kind: str
    reference: str
    month: str


VOID_LABEL = "void:"
"""Labels of a part's items start with this: their failure means "what was read changed: read again"."""


class VoidPart(NamedTuple):
    """One area's part of a voiding: ``reversals`` to take back and ``add(tx)`` its items (labels ``void:...``)."""

    reversals: tuple[Reversal, ...] = ()
    add: Callable[[Tx], None] | None = None


def voided(voiding: Voiding) -> list[VoidPart]:
    """Every interested area's part of ``voiding`` (``Area.service_voided``), read now; none when no area listens."""
    return [part for hook in area.refs(lambda a: a.service_voided) if (part := hook(voiding)) is not None]


def voided_in(tx: Tx, parts: list[VoidPart]) -> None:
    """Add the parts' items to ``tx``."""
    for part in parts:
        if part.add is not None:
            part.add(tx)


def raced(failed: set[str] | frozenset[str]) -> bool:
    """A cancelled voiding whose parts' reads went stale: read again."""
    return any(label.startswith(VOID_LABEL) for label in failed)
