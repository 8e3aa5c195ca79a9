"""The notifications area's member-owned resources, for the cross-member 404 test (its manifest's
``owned_resources``): a notification written in the member's partition, as any area's transaction writes one."""

from __future__ import annotations

from typing import Any

from chalicelib.core import notifications
from chalicelib.core.dynamo.tx import Tx
from chalicelib.identity import access_token


def _owned_notification(api: Any, token: str) -> dict[str, str]:
    cid = access_token.verify_access_token(token).customer_id
    assert cid is not None
    item = notifications.notification_item(cid, "completed", {"transaction_id": "txn_contract", "status": "completed"})
    tx = Tx()
    tx.put("notification", item)
    tx.commit()
    return {"notification_id": item.notification_id}


OWNED = {"/v1/me/notifications/{notification_id}/read": _owned_notification}
