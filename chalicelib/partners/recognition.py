"""Recognition without disclosure: a partner gives a phone and learns tier and benefits only when the member has
given the ``partner_sharing`` consent; otherwise the answer is the very bytes a stranger's phone gets.

Both paths do the same reads (the phone's directory key, then one bounded member Query: of a customer ID that
cannot exist when the phone is nobody's), so the time taken does not tell them apart either. Lookups are counted per
partner (``core.rate_limits``) and logged without the phone.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core import clock, rate_limits
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.identity import public as identity
from chalicelib.partners import tokens
from chalicelib.partners.models import PartnerItem
from chalicelib.points import public as points
from chalicelib.privacy.public import partner_sharing_given

RECOGNITIONS_PER_PARTNER_MINUTE = rate_limits.Limit("partner-recognition", 120, 60)
NOT_A_MEMBER: dict[str, Any] = {"member": False}
NOBODY = "c_nobody_partner_lookup"  # no customer ID has this form: the stranger's Query finds nothing


def _count(partner_id: str) -> None:
    limit = RECOGNITIONS_PER_PARTNER_MINUTE
    if rate_limits.count(limit, partner_id) > limit.max:
        raise AppError("rate_limited", retry_after=limit.window - clock.epoch() % limit.window)


def recognised(partner: PartnerItem, customer_id: str | None) -> points.MemberItems | None:
    """The member's items when ``customer_id`` names a live member who lets partners recognise them, else None."""
    try:
        items = points.load_member(customer_id or NOBODY)
    except AppError as err:
        if err.code == "not_found":
            return None
        raise
    return items if partner_sharing_given(items.others) else None


def recognise(partner: PartnerItem, phone: str) -> dict[str, Any]:
    """``POST /v1/partners/recognitions``: ``{member: true, token, tier, benefits}`` or ``{member: false}``."""
    _count(partner.partner_id)
    items = recognised(partner, identity.lookup(identity.phone_key(phone)))
    logger.info("partner recognition", extra={"partner_id": partner.partner_id, "recognised": items is not None})
    if items is None:
        return dict(NOT_A_MEMBER)
    tier = points.held_tier(items).code
    return {"member": True, "token": tokens.issue(partner.partner_id, items.customer_id), "tier": tier,
            "benefits": list(partner.benefits_by_tier.get(tier, []))}


def member_of_token(partner: PartnerItem, token: str) -> str:
    """The customer a token names for this partner, while the consent still holds (else ``partner_token_invalid``:
    a withdrawal stops a token already issued too)."""
    items = recognised(partner, tokens.open_token(partner.partner_id, token))
    if items is None:
        raise AppError("partner_token_invalid", details=[{"field": "token", "issue": "recognise the member again"}])
    return items.customer_id  # the survivor, if the member was merged meanwhile
