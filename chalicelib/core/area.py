"""The ``Area`` manifest: everything the rest of the system needs of one area, declared in one place.

Each area package declares ``AREA = Area(...)`` in its ``__init__.py`` and ``chalicelib/areas.py`` lists them. The
composition root (``app.py``), the local seeder, the contract tests and the agents' 360 view iterate that list;
nothing is registered by the side effect of importing an area's module.

Code is named by reference (``"chalicelib.points.hooks:merge_contributor"``) and imported on first use, so a
manifest costs nothing at cold start and a queue worker loads only what its messages need.

The manifest's records, like the core's other records built at import (settings, route and error specs, the request
context), are ``NamedTuple``s rather than dataclasses: on Python 3.11 creating a frozen dataclass compiles six methods
(about 1 ms a class: ~4 ms of our ~48 ms by CPU time when there were fifteen), a ``NamedTuple`` one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from types import MappingProxyType
from typing import Any, NamedTuple

from chalicelib.core.error_spec import ErrorSpec
from chalicelib.core.notice_spec import NoticeSpec

Ref = str
"""``"package.module:attribute"``: code an area offers, imported when first used."""

NONE: Mapping[str, Any] = MappingProxyType({})
"""An empty mapping nobody can fill: the default of a manifest's mappings."""


@cache
def resolve(ref: Ref) -> Any:
    module, _, attribute = ref.partition(":")
    if not attribute:
        raise ValueError(f"{ref!r} is not a 'module:attribute' reference")
    return getattr(importlib.import_module(module), attribute)


class Job(NamedTuple):
    """A scheduled job: ``app.py`` declares a handler ``name`` on ``schedule``; ``tools.run_job NAME`` runs it."""

    name: str
    schedule: str  # EventBridge syntax: "rate(1 minute)" or "cron(10 16 * * ? *)"
    handler: Ref
    doc: str = ""
    with_context: bool = False  # the handler takes the Lambda context (to stop before its time runs out)


class FollowUpHooks(NamedTuple):
    """How the follow-up queue treats one transaction kind.

    ``settle``: ``(tx, case, resolution, at)`` settles the business record when an agent completes or cancels;
    ``compensate``: ``(Resolution) -> dict`` runs the refund's own transaction (which commits the case's closing);
    ``describe``: ``(case) -> dict | None`` shows the business record on the case page;
    ``exhausted``: ``(message) -> None`` ends a kind whose retries ran out without an agent's case (a notification's
    channel marked failed): when set, the follow-up queue calls it instead of opening a case (raise to be retried).
    """

    settle: Ref | None = None
    compensate: Ref | None = None
    describe: Ref | None = None
    exhausted: Ref | None = None


class StreamHandler(NamedTuple):
    """An area's consumer of the table's stream records (``NEW_IMAGE``), dispatched by ``core/stream.py``.

    ``handle(raw_record)`` gets Lambda's record dict for each record whose event is in ``events`` and whose sort key
    starts with one of ``sk_prefixes``; it must be idempotent (a failed record is delivered again, to every handler
    it matches). ``infra/resources.json``'s event-source filters must let those records through (a unit test checks).
    """

    handle: Ref
    sk_prefixes: tuple[str, ...]
    events: tuple[str, ...] = ("INSERT", "MODIFY", "REMOVE")

    def wants(self, event_name: str, sk: str) -> bool:
        return event_name in self.events and sk.startswith(self.sk_prefixes)


class Section360(NamedTuple):
    """An area's section of the agents' 360 view of a member.

    ``read(customer_id)`` does the area's own bounded reads (the console runs every section's at once, so the view
    costs one round trip); ``render(read_result, member, now)`` returns the section's keys, given the member's
    ``M#`` items (profile, points state, buckets) that the console reads for every section. ``keys`` names the
    response model (``"package.module:Model"``) whose fields are the keys ``render`` returns: the 360 view's
    documented shape is assembled from them (``console/schemas.py``).
    """

    render: Callable[[Any, Any, Any], dict[str, Any]]
    read: Callable[[str], Any] | None = None
    keys: Ref = ""


class Area(NamedTuple):
    """One area's manifest. Only ``name`` is required; an empty field means the area has none of that."""

    name: str
    routes: tuple[str, ...] = ()  # audiences served: ``http/<audience>.py``, each with its ``api`` (``routing.Api``)
    errors: Mapping[str, ErrorSpec] = NONE
    notices: Mapping[str, NoticeSpec] = NONE  # notification templates (core.notifications)
    jobs: tuple[Job, ...] = ()
    stream_handlers: tuple[StreamHandler, ...] = ()  # consumers of the table's stream records
    retry_handlers: Mapping[str, Ref] = NONE  # message kind -> redo(message)
    followups: Mapping[str, FollowUpHooks] = NONE  # transaction kind -> hooks
    customer_items: bool = False  # keeps items under a customer's partition (then ``merge`` is required)
    merge: Ref | None = None  # (tx, absorbed CustomerItem, survivor CustomerItem): moves what the area keeps
    merge_keeps: str = ""  # why items stay with the absorbed customer when ``merge`` is None
    enrolment: tuple[Ref, ...] = ()  # (tx, new CustomerItem): items written in the enrolment transaction
    # (tx, core.services.Completion): items written in the transaction that completes a member's service (a case
    # resolved, an appointment attended, an event checked in): the surveys area issues its survey there
    service_completed: tuple[Ref, ...] = ()
    # (core.services.Voiding) -> VoidPart | None: the area's part of voiding a completed service (an appointment marked
    # a no-show after its check-in, an event check-in revoked), read before the voiding's transaction
    service_voided: tuple[Ref, ...] = ()
    # (tx, customer_id, {purpose: granted}, channel, policy_version | None) -> receipts: consent receipts written in the
    # transaction that changes a consent (the profile's PATCH /v1/me calls every area's)
    consent_receipts: Ref | None = None
    member_view: Ref | None = None  # (others: raw M# items, now) -> dict: keys the area adds to GET /v1/me
    overlay: Ref | None = None  # a ``core.overlay.Overlay``: the paid overlay (Plus) lower areas consult
    seeds: tuple[Ref, ...] = ()  # () -> None: the local stack's demo catalogue (idempotent)
    owned_resources: Ref | None = None  # a ``{path: factory}`` mapping for the cross-member 404 test
    member_360: Ref | None = None  # a ``Section360``: the area's section of the agents' 360 view
    member_360_none: str = ""  # why the area has no 360 section
    # The member partition stays small (identity/member.py): every sort key (or prefix) the area keeps under the
    # bounded ``M#`` prefix, with why its count is bounded by configuration, never by the member's history...
    member_kinds: Mapping[str, str] = NONE
    # ...and every growing kind an earlier version kept there: old ``M#`` prefix -> its ``H#`` prefix (the
    # ``migrate_member_partition`` job moves them)
    moved_kinds: Mapping[str, str] = NONE
    # (customer_id, the member's old-layout raw items) -> items the migration puts if absent (a current counter...)
    migrate_seed: Ref | None = None
    # The personal-data registry (core/personal_data.py): a mapping of the area's item models (class names of its
    # models.py, or "module:Class" for one the core defines) -> Kind: what is personal and what export and erasure do
    personal_data: Ref | None = None
    # Maker-checker (points/approvals.py): approval kind -> (ApprovalItem, decide(tx)) -> dict: runs an approved change
    # with the approval's conditional update in the change's own transaction
    approvals: Mapping[str, Ref] = NONE

    @property
    def blueprints(self) -> tuple[str, ...]:
        """The modules of ``routes``: ``chalicelib.<area>.http.<audience>``."""
        return tuple(f"chalicelib.{self.name}.http.{audience}" for audience in self.routes)


_installed: tuple[Area, ...] | None = None


def install(areas: tuple[Area, ...]) -> None:
    """Called once by ``chalicelib/areas.py``: checks that names, error codes and message kinds are unique."""
    global _installed
    seen: dict[str, str] = {}
    for area in areas:
        for kind, what in ((area.name, "area"), *((c, "error code") for c in area.errors),
                           *((k, "retry kind") for k in area.retry_handlers),
                           *((k, "follow-up kind") for k in area.followups),
                           *((k, "approval kind") for k in area.approvals),
                           *((n, "notice template") for n in area.notices)):
            key = f"{what}:{kind}"
            if key in seen:
                raise ValueError(f"{what} {kind!r} is declared by both {seen[key]} and {area.name}")
            seen[key] = area.name
    _installed = areas


class AreasNotInstalled(RuntimeError):
    """The composition (``chalicelib/areas.py``, imported by ``app.py``) has not run: nothing can be looked up."""


def installed() -> tuple[Area, ...]:
    """Every area, in ``AREAS`` order, as ``chalicelib/areas.py`` installed them (the core never imports an area)."""
    if _installed is None:
        raise AreasNotInstalled("import app (or chalicelib.areas) before using the areas' manifests")
    return _installed


def refs(pick: Callable[[Area], tuple[Ref, ...]]) -> Iterator[Any]:
    for area in installed():
        for ref in pick(area):
            yield resolve(ref)
