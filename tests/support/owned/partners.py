"""The partners area's member-owned resources, for the cross-member 404 test (its manifest's ``owned_resources``):
a partner's request to spend the member's points, awaiting the member, as ``POST /v1/partners/redemptions`` writes
it."""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.core import clock
from chalicelib.identity import access_token
from chalicelib.partners.models import MEMBER_INDEX_PREFIX, REDEMPTION_SK, PartnerRedemptionItem, redemption_pk


def _owned_redemption(api: Any, token: str) -> dict[str, str]:
    cid = access_token.verify_access_token(token).customer_id
    assert cid is not None
    rid = "prd_" + secrets.token_hex(8)
    PartnerRedemptionItem(pk=redemption_pk(rid), sk=REDEMPTION_SK, redemption_id=rid, partner_id="ptcontract",
                          partner_name="contract partner", customer_id=cid, order_no="ORD" + rid, points=1,
                          status="awaiting_member", created_at=clock.iso(), expires_at=clock.epoch() + 300,
                          code_hash="x", otp_attempts=0, gsi1pk=f"{MEMBER_INDEX_PREFIX}{cid}",
                          gsi1sk=f"{clock.iso()}#{rid}").save()
    return {"redemption_id": rid}


OWNED = {"/v1/me/partner-redemptions/{redemption_id}/confirm": _owned_redemption,
         "/v1/me/partner-redemptions/{redemption_id}/decline": _owned_redemption}
