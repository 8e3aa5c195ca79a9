"""Consent receipts: every consent change is an immutable record (purpose, granted or withdrawn, the policy version
shown, channel, time) under the member's growing prefix ``H#CONSENT#``, written in the transaction of the change.

The profile keeps ``marketing`` and ``profiling`` (notifications and the extended profile read them there); this area
keeps ``partner_sharing`` and the accepted policy version on ``M#PRIVACY``, one bounded item the member read returns,
so ``GET /v1/me`` says whether the policy needs accepting without a call of its own.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from chalicelib.core import clock
from chalicelib.core.area import Section360
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.core.dynamo.member_layout import newest_page
from chalicelib.core.dynamo.tx import Tx
from chalicelib.core.personal_data import deletion_pending
from chalicelib.core.results import Result, created
from chalicelib.identity import public as identity
from chalicelib.privacy import policy
from chalicelib.privacy.models import RECEIPT_PREFIX, STATE_SK, ConsentReceiptItem, PrivacyStateItem
from chalicelib.profile import public as profile_area

PROFILE_PURPOSES = ("marketing", "profiling")
PURPOSES = (*PROFILE_PURPOSES, "partner_sharing", "privacy_policy")


def receipt_view(item: ConsentReceiptItem) -> dict[str, Any]:
    return {"receipt_id": item.receipt_id, "purpose": item.purpose, "granted": bool(item.granted),
            "policy_version": item.policy_version, "channel": item.channel, "at": item.at}


def record_in(tx: Tx, customer_id: str, consents: dict[str, bool], channel: str | None,
              policy_version: str | None) -> list[ConsentReceiptItem]:
    """``Area.consent_receipts``: a receipt per consent in ``consents``, put in ``tx`` (the change's own transaction);
    ``policy_version`` is the one shown (None: the one in force)."""
    version = policy_version or policy.current().version
    at = clock.iso()
    written = []
    for purpose, granted in sorted(consents.items()):
        receipt_id = "cr_" + secrets.token_hex(8)
        item = ConsentReceiptItem(pk=customer_pk(customer_id), sk=f"{RECEIPT_PREFIX}{at}#{receipt_id}",
                                  receipt_id=receipt_id, purpose=purpose, granted=bool(granted),
                                  policy_version=version, channel=channel, at=at)
        tx.put(f"receipt:{purpose}", item, condition=ConsentReceiptItem.sk.does_not_exist())
        written.append(item)
    return written


def give(customer_id: str, purpose: str, granted: bool, policy_version: str, channel: str | None) -> Result:
    """``POST /v1/me/consents``: one consent given or withdrawn against the policy version in force."""
    policy.check_version(policy_version)
    if purpose in PROFILE_PURPOSES:  # the profile's rule applies (withdrawing profiling erases the extended profile)
        _view, receipts = profile_area.apply_profile_change(customer_id, {"consents": {purpose: granted}},
                                                       channel=channel, policy_version=policy_version)
        return created(receipt_view(receipts[0]))
    read = identity.load(customer_id)
    state = PrivacyStateItem(pk=customer_pk(read.customer_id), sk=STATE_SK)
    if purpose == "partner_sharing":
        action = PrivacyStateItem.partner_sharing.set(granted)
    else:
        action = (PrivacyStateItem.accepted_version.set(policy_version) if granted
                  else PrivacyStateItem.accepted_version.remove())
    tx = Tx()
    tx.update("state", state, [action, PrivacyStateItem.updated_at.set(clock.iso())])
    receipts = record_in(tx, read.customer_id, {purpose: granted}, channel, policy_version)
    tx.commit()
    return created(receipt_view(receipts[0]))


def state_of(items: list[dict[str, Any]]) -> PrivacyStateItem | None:
    raw = next((r for r in items if r.get("sk", {}).get("S") == STATE_SK), None)
    return PrivacyStateItem.from_raw_data(raw) if raw else None


def partner_sharing_given(member_items: list[dict[str, Any]]) -> bool:
    """Whether an alliance merchant may recognise the member: the ``partner_sharing`` consent is given and no
    account closing is under way (from the raw ``M#`` items of the member's bounded read). The partners area asks
    this on every recognition and every use of a recognition token, so a withdrawal stops them at once."""
    state = state_of(member_items)
    return bool(state and state.partner_sharing) and not deletion_pending(member_items)


def policy_state(state: PrivacyStateItem | None) -> dict[str, Any]:
    in_force = policy.current()
    accepted = state.accepted_version if state else None
    return {"version": in_force.version, "accepted_version": accepted, "needs_acceptance": accepted != in_force.version}


def listing(customer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """``GET /v1/me/consents``: the current consents, the policy state and the receipts, newest first."""
    read = identity.load(customer_id)
    assert read.profile is not None  # member.load answers only live profiles
    state = state_of(read.items)
    page, next_cursor = newest_page(read.customer_id, RECEIPT_PREFIX, limit, cursor)
    return {
        "current": {"marketing": bool(read.profile.consents.marketing),
                    "profiling": bool(read.profile.consents.profiling),
                    "partner_sharing": bool(state.partner_sharing) if state else False},
        "policy": policy_state(state),
        "items": [receipt_view(ConsentReceiptItem.from_raw_data(r)) for r in page],
        "next_cursor": next_cursor,
    }


def me_contribution(others: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """``Area.member_view``: ``{"privacy_policy": {version, accepted_version, needs_acceptance}}`` from the
    ``M#PRIVACY`` item the member read already returned (the policy itself is cached in-process)."""
    return {"privacy_policy": policy_state(state_of(others))}


def _render_360(_read: Any, member_items: Any, _now: Any) -> dict[str, Any]:
    """Consents and the policy state from the member's ``M#`` items the console reads for every section."""
    state = state_of(member_items.others)
    profile = member_items.profile
    return {"privacy": {"consents": {"marketing": bool(profile.consents.marketing),
                                     "profiling": bool(profile.consents.profiling),
                                     "partner_sharing": bool(state.partner_sharing) if state else False},
                        "policy": policy_state(state),
                        "deletion": {"requested_at": state.deletion_requested_at if state else None,
                                     "effective_at": state.deletion_effective_at if state else None,
                                     "erased_at": state.erased_at if state else None,
                                     "channel": state.deletion_channel if state else None,
                                     "recorded_by": state.deletion_recorded_by if state else None}}}


member_360 = Section360(render=_render_360, keys="chalicelib.privacy.http.schemas:Member360Privacy")
