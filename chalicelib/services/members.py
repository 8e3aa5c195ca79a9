"""The member's own view (``GET /v1/me``) and profile edits (``PATCH /v1/me``).

``GET /v1/me`` is one Query over the customer's ``M#`` sort keys: the profile item and, once points
exist, the point buckets. Tier definitions come from the tier catalogue, not from a read per call.

Profile fields come in two parts: basic (name) and extended (birthday, gender, preferences). The
extended part is collected only with the ``profiling`` consent; withdrawing that consent erases it.
A birthday, once set, is fixed (it drives birthday privileges): changing it is a job for an agent.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.adapters.dynamo.models import PROFILE_SK, CustomerItem
from chalicelib.domain import clock, tiers
from chalicelib.errors import AppError
from chalicelib.redaction import mask_phone
from chalicelib.services import identity

EXTENDED_FIELDS = ("birthday", "gender", "preferences")


def _profile_query(customer_id: str) -> list[Any]:
    return list(
        CustomerItem.query(identity.customer_key(customer_id), CustomerItem.sk.startswith("M#"), consistent_read=False)
    )


def _load_view_items(customer_id: str) -> tuple[CustomerItem, list[Any]]:
    for _ in range(4):  # follow merge aliases
        items = _profile_query(customer_id)
        profile = next((i for i in items if i.sk == PROFILE_SK), None)
        if profile is None:
            raise AppError("not_found")
        if not profile.merged_into:
            return profile, [i for i in items if i.sk != PROFILE_SK]
        customer_id = profile.merged_into
    raise AppError("not_found")


def tier_catalogue() -> tuple[tiers.TierDefinition, ...]:
    return tiers.DEFAULT_TIERS


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
        "channels": list(customer.channels),
    }


def me(customer_id: str) -> dict[str, Any]:
    customer, _others = _load_view_items(customer_id)
    catalogue = tier_catalogue()
    tier = tiers.tier_by_code(catalogue, customer.tier_code)
    metric_values = {"spend_12m_fen": 0, "orders_12m": 0, "points_12m": 0}
    view = profile_view(customer)
    view.update(
        {
            "tier": {"code": tier.code, "name": tier.name, "badge": tier.badge},
            "tier_progress": tiers.tier_progress(catalogue, tier.code, metric_values).as_dict(),
            "points": {"balance": int(customer.points_balance), "expiring": {"points": 0, "on": None}},
        }
    )
    return view


def update_profile(customer_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply a PATCH. ``changes`` holds only the fields the client sent (None clears a field)."""
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
    if consents.get("profiling") is False:  # withdrawal erases what the consent allowed
        removes.update(EXTENDED_FIELDS)
    actions = [CustomerItem.updated_at.set(clock.iso())]
    actions += [getattr(CustomerItem, f).set(v) for f, v in sets.items() if f not in removes]
    actions += [getattr(CustomerItem, f).remove() for f in sorted(removes)]
    actions += [getattr(CustomerItem.consents, n).set(bool(v)) for n, v in consents.items() if v is not None]

    item = CustomerItem(pk=customer.pk, sk=PROFILE_SK)
    condition = CustomerItem.merged_into.does_not_exist() & (CustomerItem.updated_at == customer.updated_at)
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError:
        raise AppError("concurrent_update") from None
    return profile_view(item)
