"""Checking in at the venue: the code the venue shows (or the host), inside the window, once; then, and only then,
the event's points (through the points area's ``earn_in``) and its tags on the member's profile.

Once, whatever races: the registration's change to ``checked_in`` is conditioned on ``status = registered`` and is
written in the points transaction itself (``earn_in`` in ``execute_with``), so two check-ins at once award one ledger
entry: the loser's transaction fails on the registration and answers 409 ``already_checked_in``. The tags go on the
profile in the same transaction, with the profiling consent as its condition (a consent withdrawn meanwhile: planned
again, without the tags). The code is compared as a salted hash in constant time and never logged.
"""

from __future__ import annotations

from typing import Any, cast

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.core import clock, notifications, services
from chalicelib.core.dynamo import keys, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.events import editing, listing, reading, registration, rules
from chalicelib.events.models import EventItem, RegistrationItem
from chalicelib.events.reading import time_of
from chalicelib.identity import public as identity
from chalicelib.identity.public import PROFILE_SK, CustomerItem
from chalicelib.points import public as points_area


def check_in(customer_id: str, event_id: str, code: str, channel: str | None = None) -> dict[str, Any]:
    """``POST /v1/events/{id}/check-in`` ``{check_in_code}`` by the member: 200 ``{points_awarded}``."""
    reading.checked_id(event_id)
    page = reading.page_read(event_id, customer_id)
    if page.profile is not None and page.profile.merged_into:
        return check_in(identity.resolve_customer_id(page.profile.merged_into), event_id, code, channel)
    if not listing.visible_on_page(page, customer_id):
        raise AppError("not_found")
    event = page.event
    assert event is not None
    _window(event)
    if not rules.code_matches(event.code_salt, event.code_hash, code):
        logger.info("event check-in code refused", extra={"customer_id": customer_id, "event_id": event_id})
        raise AppError("invalid_check_in_code")
    return _award(event, page.registration, customer_id, "member", channel)


def check_in_by_host(host_id: str, event_id: str, member_no: str) -> dict[str, Any]:
    """The host checks a registered member in (by member number), in the same window, once."""
    event = editing.host_event(host_id, event_id)
    cid = identity.lookup(identity.member_no_key(member_no))
    if cid is None:
        raise AppError("not_registered")
    cid = identity.resolve_customer_id(cid)
    _window(event)
    try:
        reg = RegistrationItem.get(event.pk, f"REG#{cid}", consistent_read=True)
    except RegistrationItem.DoesNotExist:
        reg = None
    out = _award(event, reg, cid, f"host:{event.host_customer_id}", None)
    return {**out, "member_no": member_no}


def _window(event: EventItem) -> None:
    if event.status != "approved" or not rules.check_in_open(time_of(event.starts_at), time_of(event.ends_at),
                                                             clock.now()):
        raise AppError("check_in_not_open", details=[
            {"field": "event_id", "issue": f"check-in is open from an hour before {event.starts_at} to its end"}])


def _award(event: EventItem, reg: RegistrationItem | None, customer_id: str, by: str,
           channel: str | None) -> dict[str, Any]:
    if reg is None or reg.status in ("cancelled", "waitlisted"):
        raise AppError("not_registered")
    if reg.status == "checked_in":
        raise AppError("already_checked_in")
    if reg.status == "check_in_revoked":
        raise AppError("check_in_revoked")
    points = int(event.check_in_points or 0)
    tags = set(event.participant_tags or ())
    at = clock.iso()

    def mark(tx: Tx, *_: Any) -> None:
        tx.update("registration", RegistrationItem(pk=reg.pk, sk=reg.sk), [
            RegistrationItem.status.set("checked_in"), RegistrationItem.checked_in_at.set(at),
            RegistrationItem.checked_in_by.set(by), RegistrationItem.points_awarded.set(points),
            RegistrationItem.updated_at.set(at)], RegistrationItem.status == "registered")
        notifications.put_in(tx, reg.customer_id, "event_checked_in",
                             registration.notice_data(event, status="checked_in", points=points),
                             label="notification_checked_in")
        services.completed_in(tx, services.Completion(
            kind="event", customer_id=reg.customer_id, service_id=event.event_id, title=event.title, at=at,
            groups={"event": event.event_id}))

    def with_tags(profile: CustomerItem) -> tuple[list[Action], Condition | None] | None:
        if not tags or not profile.consents.profiling:
            return None
        consented = cast(Condition, CustomerItem.consents.profiling == True)  # noqa: E712  (a DynamoDB condition)
        return [CustomerItem.tags.add(tags)], consented

    try:
        if points > 0:
            def step(tx: Tx, state: Any) -> None:
                points_area.earn_in(tx, state, points, kind="event", reference=f"event:{event.event_id}",
                                    channel=channel, actor=by if by != "member" else None, profile=with_tags)
                mark(tx)

            points_area.execute_with(reg.customer_id, step)
        else:
            _without_points(reg.customer_id, mark, with_tags)
    except TxCancelled as exc:
        if "registration" in exc.failed:
            raise AppError("already_checked_in") from None
        raise
    logger.info("event check-in", extra={"customer_id": reg.customer_id, "event_id": event.event_id,
                                         "points": points, "by": by})
    return {"event_id": event.event_id, "status": "checked_in", "points_awarded": points, "checked_in_at": at}


def _without_points(customer_id: str, mark: Any, with_tags: Any) -> None:
    """No points to award: the registration and the tags in one transaction of their own (again on a race)."""
    def once(_attempt: int) -> None:
        items = points_area.load_member(customer_id, consistent=True)
        assert items.profile is not None
        tx = Tx()
        mark(tx)
        wanted = with_tags(items.profile)
        if wanted is not None:
            actions, condition = wanted
            tx.update("profile", CustomerItem(pk=keys.customer_pk(customer_id), sk=PROFILE_SK), actions,
                      CustomerItem.merged_into.does_not_exist() & condition)
        try:
            tx.commit()
        except TxCancelled as exc:
            if "registration" in exc.failed or "profile" not in exc.failed:
                raise
            raise retry.Again from None
        return
    return retry.until_committed(once, limit=5, what="event check-in", customer_id=customer_id)
