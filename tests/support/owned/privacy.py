"""The privacy area's member-owned resources, for the cross-member 404 test (its manifest's ``owned_resources``): an
export the member asked for, as ``POST /v1/me/exports`` writes it."""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.core import clock
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.identity import access_token
from chalicelib.privacy.models import EXPORT_PREFIX, ExportItem


def _owned_export(api: Any, token: str) -> dict[str, str]:
    cid = access_token.verify_access_token(token).customer_id
    assert cid is not None
    export_id = "exp_" + secrets.token_hex(8)
    ExportItem(pk=customer_pk(cid), sk=EXPORT_PREFIX + export_id, export_id=export_id, status="preparing",
               requested_at=clock.iso()).save()
    return {"export_id": export_id}


OWNED = {"/v1/me/exports/{export_id}": _owned_export, "/v1/me/exports/{export_id}/data": _owned_export}
