"""Which table writes are which integrator events: a stream record (new image only) -> the events it makes. Pure.

| event | source record (sort key) | told when |
|---|---|---|
| ``member.enrolled`` | ``M#PROFILE`` INSERT | once per customer |
| ``tier.changed`` | ``M#PROFILE`` INSERT/MODIFY | ``tier_code`` differs from the last tier seen (``WHSEQ``) |
| ``member.merged`` | ``MERGE#<at>#<absorbed>`` INSERT (the survivor's) | once per merge |
| ``points.changed`` | ledger entry ``L#<at>#<seq>`` INSERT | once per entry |
| ``redemption.changed`` | ``RDM#<id>`` INSERT/MODIFY | per status |
| ``appointment.changed`` | ``H#APPT#<id>`` INSERT/MODIFY | per (status, slot) |
| ``registration.changed`` | ``EV#<event>`` / ``REG#<customer>`` INSERT/MODIFY | per status |
| ``plus.changed`` | ``M#PLUS`` INSERT/MODIFY | per (kind, plan, expiry) |
| ``case.opened`` / ``case.resolved`` | ``CASE#<transaction>`` INSERT / MODIFY to resolved | once each |

An event's ID is a hash of its type, the source item's key and what the event is about (a status...), so the same
record delivered again by the stream, or another write that changes nothing the event tells, gives the same ID and
is told once. ``data`` is a closed list of fields per type: never a phone number, a name or an openid.
"""

from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

TYPES = ("member.enrolled", "member.merged", "tier.changed", "points.changed", "redemption.changed",
         "appointment.changed", "registration.changed", "plus.changed", "case.opened", "case.resolved")

SOURCE_PREFIXES = ("M#PROFILE", "MERGE#", "L#", "RDM#", "H#APPT#", "REG#", "M#PLUS", "CASE#")
PROFILE_SK = "M#PROFILE"


class Draft(NamedTuple):
    event_id: str
    type: str
    customer_id: str
    occurred_at: str
    data: dict[str, Any]


def event_id(type_: str, pk: str, sk: str, about: str = "") -> str:
    return "evt_" + hashlib.sha256(f"{type_}|{pk}|{sk}|{about}".encode()).hexdigest()[:24]


def _v(image: dict[str, Any], name: str) -> Any:
    value = image.get(name) or {}
    if "S" in value:
        return value["S"]
    if "N" in value:
        n = float(value["N"])
        return int(n) if n.is_integer() else n
    if "BOOL" in value:
        return bool(value["BOOL"])
    return None


def _pick(image: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {n: _v(image, n) for n in names}


def _draft(type_: str, pk: str, sk: str, about: str, customer_id: str, image: dict[str, Any],
           data: dict[str, Any], when: str | None) -> Draft:
    occurred = _v(image, "updated_at") or _v(image, "created_at") or when or ""
    return Draft(event_id(type_, pk, sk, about), type_, customer_id, str(occurred), data)


def customer_of(keys: dict[str, Any], image: dict[str, Any]) -> str | None:
    """Whose record it is: the customer's partition, or a registration's ``customer_id``."""
    pk, sk = str(keys["pk"]["S"]), str(keys["sk"]["S"])
    if pk.startswith("CUST#"):
        return pk[len("CUST#"):]
    if pk.startswith("EV#") and sk.startswith("REG#"):
        return _v(image, "customer_id") or sk[len("REG#"):]
    return None


def shown_tier(event_name: str, keys: dict[str, Any], image: dict[str, Any]) -> str | None:
    """The tier a live profile's record shows (None for any other record)."""
    if event_name == "REMOVE" or str(keys["sk"]["S"]) != PROFILE_SK or _v(image, "merged_into"):
        return None
    return str(_v(image, "tier_code") or "base")


def drafts(event_name: str, keys: dict[str, Any], image: dict[str, Any], *, last_tier: str | None,
           when: str | None = None) -> list[Draft]:
    """The events one stream record makes. ``last_tier``: the tier the webhooks last saw for the member (None when
    none: the record only sets it). ``when``: the record's time (ISO), for items without a time of their own."""
    if event_name == "REMOVE":
        return []
    pk, sk = str(keys["pk"]["S"]), str(keys["sk"]["S"])
    if sk.startswith("REG#") and pk.startswith("EV#"):
        cid = _v(image, "customer_id")
        if not cid:
            return []
        status = _v(image, "status")
        return [_draft("registration.changed", pk, sk, str(status), cid, image,
                       _pick(image, ("registration_id", "event_id", "status", "starts_at", "ends_at")), when)]
    if not pk.startswith("CUST#"):
        return []
    cid = pk[len("CUST#"):]
    if sk == PROFILE_SK:
        if _v(image, "merged_into") or _v(image, "closed_at"):
            return []
        tier = _v(image, "tier_code") or "base"
        out = []
        if event_name == "INSERT":
            out.append(_draft("member.enrolled", pk, sk, "", cid, {}, {
                "tier": tier, "channel": _v(image, "created_channel"), "enrolled_at": _v(image, "created_at")},
                _v(image, "created_at") or when))
        if last_tier is not None and tier != last_tier:
            out.append(_draft("tier.changed", pk, sk, f"{last_tier}>{tier}@{_v(image, 'updated_at')}", cid, image,
                              {"from": last_tier, "to": tier}, when))
        return out
    if sk.startswith("MERGE#") and event_name == "INSERT":
        return [_draft("member.merged", pk, sk, "", cid, {}, {"absorbed_customer_id": sk.rsplit("#", 1)[-1]},
                       sk.split("#")[1] if sk.count("#") >= 2 else when)]
    if sk.startswith("L#") and event_name == "INSERT":
        return [_draft("points.changed", pk, sk, "", cid, image, _pick(
            image, ("entry_id", "kind", "delta", "balance_after", "reference", "expires_on", "created_at")), when)]
    if sk.startswith("RDM#"):
        status = _v(image, "status")
        return [_draft("redemption.changed", pk, sk, str(status), cid, image, _pick(
            image, ("redemption_id", "reward_id", "quantity", "points_spent", "status", "fulfillment")), when)]
    if sk.startswith("H#APPT#"):
        status, slot = _v(image, "status"), _v(image, "slot_start")
        return [_draft("appointment.changed", pk, sk, f"{status}@{slot}", cid, image, _pick(
            image, ("appointment_id", "store_id", "service_id", "slot_start", "slot_end", "status", "channel",
                    "priority")), when)]
    if sk == "M#PLUS":
        data = _pick(image, ("kind", "plan_id", "started_at", "expires_at"))
        if not data["expires_at"]:
            return []
        return [_draft("plus.changed", pk, sk, f"{data['kind']}@{data['plan_id']}@{data['expires_at']}", cid, image,
                       data, when)]
    if sk.startswith("CASE#"):
        data = _pick(image, ("case_id", "kind", "transaction_id", "status"))
        if event_name == "INSERT":
            return [_draft("case.opened", pk, sk, "", cid, image, {**data, "opened_at": _v(image, "opened_at")}, when)]
        if data["status"] == "resolved":
            return [_draft("case.resolved", pk, sk, "", cid, image,
                           {**data, "resolution": _v(image, "resolution"), "resolved_at": _v(image, "resolved_at")},
                           when)]
    return []
