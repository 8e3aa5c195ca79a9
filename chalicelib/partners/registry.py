"""Partners and their API keys: registered by an operator, keys shown once and stored as SHA-256 digests.

A key reads ``ptk_<partner_id>_<key_id>_<secret>``: the IDs find the key's item with one GetItem, the secret's digest
is compared in constant time. Keys are 32 random bytes, so a fast digest is enough (no stretching). Nothing is cached:
a revoked key stops at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from decimal import Decimal
from typing import Any

from chalicelib.core import clock
from chalicelib.core.dynamo import paging
from chalicelib.core.dynamo.tx import Tx
from chalicelib.core.errors import AppError
from chalicelib.core.http.principal import Principal
from chalicelib.partners.models import (
    KEY_PREFIX,
    PARTNER_SK,
    PARTNERS_INDEX,
    PartnerItem,
    PartnerKeyItem,
    partner_pk,
)

ROLE = "partner"
KEY_PREFIX_TEXT = "ptk_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def partner_view(item: PartnerItem) -> dict[str, Any]:
    return {"partner_id": item.partner_id, "name": item.name, "roles": list(item.roles),
            "cost_per_point_fen": int(item.cost_per_point_fen), "earn_rate_per_yuan": item.earn_rate_per_yuan,
            "benefits_by_tier": dict(item.benefits_by_tier), "created_at": item.created_at}


def key_view(item: PartnerKeyItem) -> dict[str, Any]:
    return {"key_id": item.key_id, "created_at": item.created_at, "revoked_at": item.revoked_at}


def _new_key(tx: Tx, partner_id: str) -> dict[str, Any]:
    key_id = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    item = PartnerKeyItem(pk=partner_pk(partner_id), sk=f"{KEY_PREFIX}{key_id}", partner_id=partner_id, key_id=key_id,
                          digest=digest(secret), created_at=clock.iso())
    tx.put("key", item, PartnerKeyItem.pk.does_not_exist())
    return {"key_id": key_id, "key": f"{KEY_PREFIX_TEXT}{partner_id}_{key_id}_{secret}", "created_at": item.created_at}


def register(name: str, roles: list[str], cost_per_point_fen: int, earn_rate_per_yuan: Decimal,
             benefits_by_tier: dict[str, list[str]]) -> dict[str, Any]:
    """``POST /v1/admin/partners``: the partner and its first key (the only time the key is shown)."""
    partner_id = "pt" + secrets.token_hex(6)
    at = clock.iso()
    item = PartnerItem(pk=partner_pk(partner_id), sk=PARTNER_SK, partner_id=partner_id, name=name,
                       roles=sorted(set(roles)), cost_per_point_fen=cost_per_point_fen,
                       earn_rate_per_yuan=str(earn_rate_per_yuan), benefits_by_tier=benefits_by_tier, created_at=at,
                       gsi1pk=PARTNERS_INDEX, gsi1sk=f"{at}#{partner_id}")
    tx = Tx()
    tx.put("partner", item, PartnerItem.pk.does_not_exist())
    key = _new_key(tx, partner_id)
    tx.commit()
    return {**partner_view(item), "api_key": key}


def load(partner_id: str) -> PartnerItem:
    """The partner, or 404 ``not_found``."""
    try:
        return PartnerItem.get(partner_pk(partner_id), PARTNER_SK)
    except PartnerItem.DoesNotExist:
        raise AppError("not_found") from None


def keys_of(partner_id: str) -> list[PartnerKeyItem]:
    raw = paging.query_all(KeyConditionExpression="pk = :p AND begins_with(sk, :k)",
                           ExpressionAttributeValues={":p": {"S": partner_pk(partner_id)}, ":k": {"S": KEY_PREFIX}})
    return [PartnerKeyItem.from_raw_data(r) for r in raw]


def detail(partner_id: str) -> dict[str, Any]:
    """``GET /v1/admin/partners/{id}``: the partner and its keys (IDs and dates, never a secret)."""
    return {**partner_view(load(partner_id)), "keys": [key_view(k) for k in keys_of(partner_id)]}


def listing(limit: int, cursor: str | None) -> dict[str, Any]:
    """``GET /v1/admin/partners``: newest first, one Query of the partners' index."""
    start = None
    if cursor:
        sk = paging.decode_cursor(cursor, "")
        partner_id = sk.rpartition("#")[2]
        start = {"pk": partner_pk(partner_id), "sk": PARTNER_SK, "gsi1pk": PARTNERS_INDEX, "gsi1sk": sk}
    raw, more = paging.index_page("gsi1", PARTNERS_INDEX, limit, ascending=False, start=start)
    items = [PartnerItem.from_raw_data(r) for r in raw]
    return {"items": [partner_view(i) for i in items],
            "next_cursor": paging.encode_cursor(items[-1].gsi1sk) if more and items else None}


def issue_key(partner_id: str) -> dict[str, Any]:
    """``POST /v1/admin/partners/{id}/keys``: another key (to rotate), shown once."""
    load(partner_id)
    tx = Tx()
    key = _new_key(tx, partner_id)
    tx.commit()
    return key


def revoke_key(partner_id: str, key_id: str) -> None:
    """``DELETE /v1/admin/partners/{id}/keys/{key_id}``: the key stops working at once (a repeat changes nothing)."""
    try:
        item = PartnerKeyItem.get(partner_pk(partner_id), f"{KEY_PREFIX}{key_id}", consistent_read=True)
    except PartnerKeyItem.DoesNotExist:
        raise AppError("not_found") from None
    if item.revoked_at is None:
        item.update(actions=[PartnerKeyItem.revoked_at.set(clock.iso())])


def verify(raw_key: str) -> Principal | None:
    """The partner a key belongs to (role ``partner``), or None: malformed, unknown, wrong secret or revoked."""
    if not raw_key.startswith(KEY_PREFIX_TEXT) or len(raw_key) > 200:
        return None
    parts = raw_key[len(KEY_PREFIX_TEXT):].split("_", 2)
    if len(parts) != 3 or not all(parts) or not parts[0].isalnum() or not parts[1].isalnum():
        return None
    partner_id, key_id, secret = parts
    try:
        item = PartnerKeyItem.get(partner_pk(partner_id), f"{KEY_PREFIX}{key_id}", consistent_read=True)
    except PartnerKeyItem.DoesNotExist:
        return None
    if not hmac.compare_digest(item.digest, digest(secret)) or item.revoked_at is not None:
        return None
    return Principal(subject=partner_id, role=ROLE)
