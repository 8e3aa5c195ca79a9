"""Spending points at a partner, confirmed by the member.

The partner asks (``create``: 202 ``awaiting_member``); nothing is spent until the member confirms in the app or
mini-program, or the partner enters the SMS code the member received. The spend is the points area's transaction
carrying the redemption's change of status, conditioned on it still awaiting and unexpired (and, by SMS, on the
code's HMAC), so however many confirmations race, one spends and the others find it decided. Unconfirmed requests
expire after 5 minutes (read as ``expired``; the conditions refuse them). The partner's balance check is the member's
confirmation: a partner never learns the balance.

``hooks.redemption_decided`` is called after each decision: the place for the partner's webhook.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib.core import clock
from chalicelib.core.dynamo import paging
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result, accepted, ok
from chalicelib.core.sms import sms_sender
from chalicelib.identity import public as identity
from chalicelib.partners import hooks, recognition, settlement
from chalicelib.partners.earnings import KIND, reference, require_role
from chalicelib.partners.models import (
    MEMBER_INDEX_PREFIX,
    REDEMPTION_SK,
    RORDER_PREFIX,
    PartnerItem,
    PartnerRedemptionItem,
    RedemptionOrderItem,
    partner_pk,
    redemption_pk,
)
from chalicelib.points import public as points_area

TTL_SECONDS = 300
MAX_CODE_TRIES = 5
AWAITING = "awaiting_member"


def status_of(item: PartnerRedemptionItem) -> str:
    if item.status == AWAITING and int(item.expires_at) <= clock.epoch():
        return "expired"
    return item.status


def partner_view(item: PartnerRedemptionItem) -> dict[str, Any]:
    return {"redemption_id": item.redemption_id, "order_no": item.order_no, "points": int(item.points),
            "status": status_of(item), "created_at": item.created_at,
            "expires_at": clock.iso(datetime.fromtimestamp(int(item.expires_at), UTC)), "decided_at": item.decided_at}


def member_view(item: PartnerRedemptionItem) -> dict[str, Any]:
    return {**partner_view(item), "partner_name": item.partner_name}


def _code_subject(redemption_id: str) -> str:
    return f"partner-redemption:{redemption_id}"


def _get(redemption_id: str) -> PartnerRedemptionItem | None:
    if len(redemption_id) > 64:
        return None
    try:
        return PartnerRedemptionItem.get(redemption_pk(redemption_id), REDEMPTION_SK, consistent_read=True)
    except PartnerRedemptionItem.DoesNotExist:
        return None


def _by_order(partner_id: str, order_no: str) -> PartnerRedemptionItem | None:
    try:
        marker = RedemptionOrderItem.get(partner_pk(partner_id), f"{RORDER_PREFIX}{order_no}", consistent_read=True)
    except RedemptionOrderItem.DoesNotExist:
        return None
    return _get(marker.redemption_id)


def _repeat(found: PartnerRedemptionItem, customer_id: str, points: int) -> Result:
    if found.customer_id != customer_id or int(found.points) != points:
        raise AppError("partner_order_used", details=[{"field": "order_no", "issue": "already used"}])
    return ok(partner_view(found))


def create(partner: PartnerItem, token: str, points: int, order_no: str) -> Result:
    """``POST /v1/partners/redemptions``: 202 ``{redemption_id, status: awaiting_member, ...}``; the member gets an
    SMS code. The same order_no, member and points again: 200 that request (per partner, order_no is used once)."""
    require_role(partner, "redemption")
    customer_id = recognition.member_of_token(partner, token)
    found = _by_order(partner.partner_id, order_no)
    if found is not None:
        return _repeat(found, customer_id, points)
    redemption_id = "prd_" + secrets.token_hex(8)
    code = f"{secrets.randbelow(10**6):06d}"
    now = clock.epoch()
    item = PartnerRedemptionItem(
        pk=redemption_pk(redemption_id), sk=REDEMPTION_SK, redemption_id=redemption_id,
        partner_id=partner.partner_id, partner_name=partner.name, customer_id=customer_id, order_no=order_no,
        points=points, status=AWAITING, created_at=clock.iso(), expires_at=now + TTL_SECONDS,
        code_hash=identity.code_hash(_code_subject(redemption_id), code), otp_attempts=0,
        gsi1pk=f"{MEMBER_INDEX_PREFIX}{customer_id}", gsi1sk=f"{clock.iso()}#{redemption_id}",
    )
    tx = Tx()
    tx.put("redemption", item, PartnerRedemptionItem.pk.does_not_exist())
    tx.put("order", RedemptionOrderItem(pk=partner_pk(partner.partner_id), sk=f"{RORDER_PREFIX}{order_no}",
                                        redemption_id=redemption_id), RedemptionOrderItem.pk.does_not_exist())
    try:
        tx.commit()
    except TxCancelled as exc:
        if "order" in exc.failed and (won := _by_order(partner.partner_id, order_no)) is not None:
            return _repeat(won, customer_id, points)
        raise
    _send_code(customer_id, code)
    logger.info("partner redemption requested", extra={"partner_id": partner.partner_id,
                                                       "redemption_id": redemption_id, "points": points})
    return accepted(partner_view(item))


def _send_code(customer_id: str, code: str) -> None:
    """The member's SMS code (the confirmation's other way); a failed send leaves the in-app confirmation."""
    try:
        profile = points_area.load_member(customer_id).profile
        if profile is not None and profile.phone:
            sms_sender().send_code(profile.phone, code)
    except Exception:  # the message is a convenience: the app confirmation still works
        logger.warning("partner redemption code not sent", extra={"customer_id": customer_id})


def for_partner(partner: PartnerItem, redemption_id: str) -> PartnerRedemptionItem:
    """The partner's own redemption; another partner's or an unknown one is 404 ``not_found`` alike."""
    item = _get(redemption_id)
    if item is None or item.partner_id != partner.partner_id:
        raise AppError("not_found")
    return item


def for_member(customer_id: str, redemption_id: str) -> PartnerRedemptionItem:
    item = _get(redemption_id)
    if item is None or item.customer_id != customer_id:
        raise AppError("not_found")
    return item


def _still_open(extra: Condition | None = None) -> Condition:
    condition: Condition = (PartnerRedemptionItem.status == AWAITING) & (
        PartnerRedemptionItem.expires_at > clock.epoch())
    return condition & extra if extra is not None else condition


def _closed(item: PartnerRedemptionItem) -> AppError:
    return AppError("partner_redemption_closed", details=[{"field": "status", "issue": status_of(item)}])


def _spend(item: PartnerRedemptionItem, by: str, code_condition: Condition | None = None) -> dict[str, Any]:
    """Spend the points and mark the redemption confirmed, in one transaction, once."""
    if status_of(item) != AWAITING:
        raise _closed(item)
    at = clock.iso()
    month = settlement.month_of(clock.today())
    points = int(item.points)

    def step(tx: Tx, state: Any) -> None:
        points_area.spend_in(tx, state, points, kind=KIND, reason=item.partner_name,
                             reference=reference(item.partner_id, "spend", item.redemption_id))
        tx.update("redemption", PartnerRedemptionItem(pk=item.pk, sk=item.sk),
                  [PartnerRedemptionItem.status.set("confirmed"), PartnerRedemptionItem.decided_at.set(at),
                   PartnerRedemptionItem.confirmed_by.set(by)], _still_open(code_condition))
        settlement.count_in(tx, item.partner_id, month, spent=points)

    try:
        points_area.execute_with(item.customer_id, step)
    except TxCancelled as exc:
        if "redemption" in exc.failed:
            raise _refused(item.redemption_id) from None
        raise
    item.status, item.decided_at, item.confirmed_by = "confirmed", at, by
    hooks.redemption_decided(item)
    return partner_view(item)


class _CodeRefused(Exception):
    """The redemption still awaits: what failed was the SMS code's condition."""


def _refused(redemption_id: str) -> Exception:
    """Why a decision's condition failed: decided or expired meanwhile (409), else the code (``_CodeRefused``)."""
    now = _get(redemption_id)
    if now is None:
        return AppError("not_found")
    return _closed(now) if status_of(now) != AWAITING else _CodeRefused()


def confirm(customer_id: str, redemption_id: str) -> dict[str, Any]:
    """``POST /v1/me/partner-redemptions/{id}/confirm``: the points are spent (409 ``insufficient_points`` when
    the balance is short: nothing changes and the request still awaits)."""
    item = for_member(customer_id, redemption_id)
    return {**_spend(item, "member"), "partner_name": item.partner_name}


def confirm_by_code(partner: PartnerItem, redemption_id: str, code: str) -> dict[str, Any]:
    """``POST /v1/partners/redemptions/{id}/otp``: the member's SMS code, entered at the partner's till."""
    item = for_partner(partner, redemption_id)
    if status_of(item) != AWAITING:
        raise _closed(item)
    if int(item.otp_attempts or 0) >= MAX_CODE_TRIES:
        raise AppError("partner_otp_invalid", details=[{"field": "code", "issue": "tried too often"}])
    right = (PartnerRedemptionItem.code_hash == identity.code_hash(_code_subject(redemption_id), code)) & (
        PartnerRedemptionItem.otp_attempts < MAX_CODE_TRIES)
    try:
        return _spend(item, "otp", right)
    except _CodeRefused:
        PartnerRedemptionItem(pk=item.pk, sk=item.sk).update(actions=[PartnerRedemptionItem.otp_attempts.add(1)])
        raise AppError("partner_otp_invalid",
                       details=[{"field": "code", "issue": "wrong or tried too often"}]) from None


def decline(customer_id: str, redemption_id: str) -> dict[str, Any]:
    """``POST /v1/me/partner-redemptions/{id}/decline``: nothing is spent; the partner sees ``declined``."""
    item = for_member(customer_id, redemption_id)
    if status_of(item) != AWAITING:
        raise _closed(item)
    at = clock.iso()
    try:
        item.update(actions=[PartnerRedemptionItem.status.set("declined"), PartnerRedemptionItem.decided_at.set(at)],
                    condition=_still_open())
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise _refused(redemption_id) from None
        raise
    hooks.redemption_decided(item)
    return member_view(item)


def member_listing(customer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """``GET /v1/me/partner-redemptions``: newest first (awaiting ones on top of a fresh list)."""
    start = None
    if cursor:
        sk = paging.decode_cursor(cursor, "")
        rid = sk.rpartition("#")[2]
        start = {"pk": redemption_pk(rid), "sk": REDEMPTION_SK, "gsi1pk": f"{MEMBER_INDEX_PREFIX}{customer_id}",
                 "gsi1sk": sk}
    raw, more = paging.index_page("gsi1", f"{MEMBER_INDEX_PREFIX}{customer_id}", limit, ascending=False, start=start)
    items = [PartnerRedemptionItem.from_raw_data(r) for r in raw]
    return {"items": [member_view(i) for i in items],
            "next_cursor": paging.encode_cursor(items[-1].gsi1sk) if more and items else None}
