"""The member's own view (``GET /v1/me``) and profile edits (``PATCH /v1/me``).

``GET /v1/me`` is one Query over the customer's ``M#`` sort keys: the profile, the points state
(``M#POINTS``) and the point buckets. Tier definitions come from the tier catalogue, not from a read
per call.

Profile fields come in two parts: basic (name) and extended (birthday, gender, preferences). The
extended part is collected only with the ``profiling`` consent; withdrawing that consent erases it.
A birthday, once set, is fixed (it drives birthday privileges): changing it is a job for an agent.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pynamodb.expressions.update import Action

from chalicelib.benefits import public as benefits
from chalicelib.core import area, clock
from chalicelib.core.area import Section360
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.redaction import mask_phone
from chalicelib.identity import public as identity
from chalicelib.identity.public import PROFILE_SK, CustomerItem
from chalicelib.points import public as points

EXTENDED_FIELDS = ("birthday", "gender", "preferences")


def tier_catalogue() -> tuple[points.TierDefinition, ...]:
    """Admin-configured tiers (cached in-process about a minute; ``tiers.DEFAULT_TIERS`` until configured)."""
    return points.catalogue()


def profile_view(customer: CustomerItem) -> dict[str, Any]:
    return {
        "customer_id": customer.customer_id,
        "member_no": customer.member_no,
        "name": customer.name,
        "phone_masked": mask_phone(customer.phone) if customer.phone else None,
        "birthday": customer.birthday,
        "gender": customer.gender,
        "consents": {"marketing": bool(customer.consents.marketing), "profiling": bool(customer.consents.profiling)},
        "preferences": customer.preferences or {},
        "tags": sorted(customer.tags or ()),
        "channels": list(customer.channels),
    }


def me(customer_id: str) -> dict[str, Any]:
    """One Query: the profile, the points state and the buckets share the ``M#`` prefix (merges add a hop)."""
    items = points.load_member(customer_id)
    if items.profile is None:  # load_member returns only live profiles; kept for type narrowing
        raise AppError("not_found")
    on = clock.today()
    tier = points.tier_view(items, on)
    summary = points.points_summary(items, on)
    view = profile_view(items.profile)
    view.update(
        {
            "tier": tier["tier"],
            "tier_progress": tier["tier_progress"],
            "points": {"balance": summary["balance"], "expiring": summary["expiring"]},
        }
    )
    now = clock.now()
    for contribute in area.refs(lambda a: (a.member_view,) if a.member_view else ()):
        view.update(contribute(items.others, now))  # Plus status, unread count: from the items this one Query read
    return view


def update_profile(customer_id: str, changes: dict[str, Any], channel: str | None = None) -> dict[str, Any]:
    """Apply a PATCH. ``changes`` holds only the fields the client sent (None clears a field)."""
    return apply_profile_change(customer_id, changes, channel=channel)[0]


def apply_profile_change(customer_id: str, changes: dict[str, Any], *, channel: str | None = None,
                         policy_version: str | None = None) -> tuple[dict[str, Any], list[Any]]:
    """The profile after ``changes``, and the consent receipts written in the same transaction (by the areas that
    keep them: ``Area.consent_receipts``; ``policy_version`` is the privacy policy shown, None for the one in force)."""
    customer = identity.load_customer(customer_id)
    if customer is None:
        raise AppError("not_found")
    consents = changes.get("consents") or {}
    profiling = consents.get("profiling", bool(customer.consents.profiling))
    if not profiling and any(changes.get(f) is not None for f in EXTENDED_FIELDS):
        raise AppError(
            "consent_required",
            details=[{"field": f, "issue": "needs consents.profiling"} for f in EXTENDED_FIELDS if changes.get(f)],
        )
    birthday = changes.get("birthday")
    if isinstance(birthday, date):
        birthday = birthday.isoformat()
    if "birthday" in changes and customer.birthday and birthday != customer.birthday:
        raise AppError("birthday_locked")

    sets: dict[str, Any] = {}
    removes: set[str] = set()
    for field in ("name", "gender", "preferences"):
        if field in changes:
            if changes[field] is None:
                removes.add(field)
            else:
                sets[field] = changes[field]
    if birthday and not customer.birthday:
        sets["birthday"] = birthday
        # the birthday benefits job finds members of a birthday month through gsi2 (never a Scan)
        sets["gsi2pk"], sets["gsi2sk"] = benefits.index_keys(customer.customer_id, birthday)
    if consents.get("profiling") is False:  # withdrawal erases what the consent allowed (tags included)
        removes.update((*EXTENDED_FIELDS, "tags"))
    if "birthday" in removes:
        removes.update(("gsi2pk", "gsi2sk"))
    updated_at = clock.iso()
    actions: list[Action] = [CustomerItem.updated_at.set(updated_at)]
    actions += [getattr(CustomerItem, f).set(v) for f, v in sets.items() if f not in removes]
    actions += [getattr(CustomerItem, f).remove() for f in sorted(removes)]
    given = {n: bool(v) for n, v in consents.items() if v is not None}
    actions += [getattr(CustomerItem.consents, n).set(v) for n, v in given.items()]

    item = CustomerItem(pk=customer.pk, sk=PROFILE_SK)
    condition = CustomerItem.merged_into.does_not_exist() & (CustomerItem.updated_at == customer.updated_at)
    tx = Tx()
    tx.update("profile", item, actions, condition=condition)
    receipts: list[Any] = []
    if given:
        for record in area.refs(lambda a: (a.consent_receipts,) if a.consent_receipts else ()):
            receipts += record(tx, customer.customer_id, given, channel, policy_version)
    try:
        tx.commit()
    except TxCancelled:
        raise AppError("concurrent_update") from None
    # the transaction returns nothing: the view is the profile read with the same changes applied
    for field, value in sets.items():
        setattr(customer, field, None if field in removes else value)
    for field in removes:
        setattr(customer, field, None)
    for name, value in given.items():
        setattr(customer.consents, name, value)
    customer.updated_at = updated_at
    return profile_view(customer), receipts


def _render_360(_read: Any, member: Any, _now: Any) -> dict[str, Any]:
    profile = member.profile
    return {"customer_id": profile.customer_id,
            "profile": {**profile_view(profile), "created_at": profile.created_at,
                        "created_channel": profile.created_channel}}


member_360 = Section360(render=_render_360)
