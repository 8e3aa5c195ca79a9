"""The benefits area's member-owned resources, for the cross-member 404 test (its manifest's ``owned_resources``)."""

from __future__ import annotations

from typing import Any

from chalicelib.benefits import vouchers
from chalicelib.core.dynamo.tx import Tx
from chalicelib.identity import access_token


def _owned_voucher(api: Any, token: str) -> dict[str, str]:
    """A voucher issued to the member (as a claim or a gift pack would issue it)."""
    cid = access_token.verify_access_token(token).customer_id
    assert cid is not None
    voucher = vouchers.new_voucher(cid, benefit_id="bn_contract", name="contract", kind="coupon", source="claim",
                                   valid_days=30)
    tx = Tx()
    vouchers.put_in(tx, voucher)
    tx.commit()
    return {"voucher_id": voucher.voucher_id}


OWNED = {"/v1/me/vouchers/{voucher_id}/use": _owned_voucher}
