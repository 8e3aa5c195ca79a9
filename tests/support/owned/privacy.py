"""The privacy area's member-owned resources, for the cross-member 404 test (its manifest's ``owned_resources``): an
export the member asked for."""

from __future__ import annotations

from typing import Any


def _owned_export(api: Any, token: str) -> dict[str, str]:
    status, body, _ = api.call("POST", "/v1/me/exports", {}, token=token, headers={"idempotency-key": "owned-export"})
    assert status == 202, body
    return {"export_id": body["export_id"]}


OWNED = {"/v1/me/exports/{export_id}": _owned_export, "/v1/me/exports/{export_id}/data": _owned_export}
