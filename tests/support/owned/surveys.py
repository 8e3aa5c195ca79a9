"""The surveys area's member-owned resources, for the cross-member 404 test (its manifest's ``owned_resources``):
a survey issued to the member (as an attended appointment issues it)."""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib.core import clock, services
from chalicelib.core.dynamo.tx import Tx
from chalicelib.surveys import issuing


def issue_survey(customer_id: str, kind: str = "appointment", groups: dict[str, str] | None = None,
                 service_id: str | None = None, title: str = "contract service", at: str | None = None) -> str:
    """Issue a survey to ``customer_id`` as a completed service would; returns its ID."""
    completion = services.Completion(kind=kind, customer_id=customer_id,  # type: ignore[arg-type]
                                     service_id=service_id or f"svc_{uuid.uuid4().hex[:12]}", title=title,
                                     at=at or clock.iso(), groups=groups or {"store": "st_contract"})
    tx = Tx()
    issuing.issue_in(tx, completion)
    tx.commit()
    return issuing.survey_id_for(kind, completion.service_id, clock.parse(completion.at))


def _survey(api: Any, token: str) -> dict[str, str]:
    status, me, _ = api.call("GET", "/v1/me", token=token)
    assert status == 200, me
    return {"survey_id": issue_survey(me["customer_id"])}


OWNED = {"/v1/me/surveys/{survey_id}/answers": _survey}
