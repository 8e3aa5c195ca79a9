"""Token pairs: a short-lived JWT access token and a rotating refresh token stored hashed.

Refresh tokens belong to a family (one sign-in). Each refresh spends the presented token and issues
the next one of the family. Presenting a spent token again means it was stolen or replayed: the
whole family is revoked, so neither the thief nor the victim can keep refreshing. A family is
revoked by writing ``RTFAM#<family>``; until then no family item exists, so signing in costs no
extra write.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.core import clock
from chalicelib.core.config import settings
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.http.principal import Principal
from chalicelib.core.observability import logger
from chalicelib.identity.access_token import issue_access_token
from chalicelib.identity.models import PROFILE_SK, CustomerItem, RefreshTokenItem, TokenFamilyItem

RT_SK = "RT"
FAMILY_SK = "RTFAM"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def rt_key(raw: str) -> str:
    return f"RT#{_hash(raw)}"


def family_key(family_id: str) -> str:
    return f"RTFAM#{family_id}"


@dataclass
class PendingTokens:
    """A token pair whose refresh item still has to be written (by the caller's transaction)."""

    principal: Principal
    refresh_token: str
    item: RefreshTokenItem

    def body(self, **extra: Any) -> dict[str, Any]:
        access, expires_in = issue_access_token(self.principal)
        out: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "refresh_token": self.refresh_token,
        }
        if self.principal.role == "member":
            out["customer_id"] = self.principal.customer_id
        else:
            out["staff_id"] = self.principal.staff_id
            out["role"] = self.principal.role
        out.update(extra)
        return out


def member_principal(customer_id: str) -> Principal:
    return Principal(subject=customer_id, role="member", customer_id=customer_id)


def prepare(principal: Principal, family_id: str | None = None) -> PendingTokens:
    raw = secrets.token_urlsafe(32)
    now = clock.epoch()
    expires = now + settings().refresh_token_ttl
    item = RefreshTokenItem(
        pk=rt_key(raw),
        sk=RT_SK,
        family_id=family_id or secrets.token_hex(12),
        subject=principal.subject,
        role=principal.role,
        customer_id=principal.customer_id,
        staff_id=principal.staff_id,
        expires_at=expires,
        ttl=expires + 86400,
    )
    return PendingTokens(principal, raw, item)


def add_to(tx: Tx, pending: PendingTokens) -> Tx:
    return tx.put("refresh_token", pending.item, RefreshTokenItem.pk.does_not_exist())


def save(pending: PendingTokens) -> None:
    """Write the refresh item on its own (one PutItem, cheaper than a one-item transaction)."""
    pending.item.save(RefreshTokenItem.pk.does_not_exist(), add_version_condition=False)


def issue(principal: Principal, **extra: Any) -> dict[str, Any]:
    """Issue a pair on its own (one PutItem)."""
    pending = prepare(principal)
    save(pending)
    return pending.body(**extra)


def _load(raw: str) -> RefreshTokenItem:
    if not raw or len(raw) > 256:
        raise AppError("invalid_refresh_token")
    try:
        item = RefreshTokenItem.get(rt_key(raw), RT_SK)
    except RefreshTokenItem.DoesNotExist:
        raise AppError("invalid_refresh_token") from None
    if item.expires_at <= clock.epoch():
        raise AppError("invalid_refresh_token")
    return item


def revoke_family(family_id: str, reason: str) -> None:
    TokenFamilyItem(pk=family_key(family_id), sk=FAMILY_SK).update(
        actions=[TokenFamilyItem.revoked_at.set(clock.epoch()), TokenFamilyItem.reason.set(reason)]
    )
    logger.warning("refresh token family revoked", extra={"family_id": family_id, "reason": reason})


def rotate(raw: str, resolve_customer: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Spend ``raw`` and return the next pair of its family (two calls: read, then one transaction).

    For a member, the transaction also checks that the customer was not merged away meanwhile; if it
    was, ``resolve_customer(customer_id) -> survivor_id`` names the survivor and the session goes on
    as the survivor.
    """
    item = _load(raw)
    if item.spent_at is not None:
        revoke_family(item.family_id, "reuse")
        raise AppError("invalid_refresh_token")
    customer_id = item.customer_id
    for _ in range(2):
        principal = Principal(
            subject=customer_id or item.subject, role=item.role, customer_id=customer_id, staff_id=item.staff_id
        )
        pending = prepare(principal, family_id=item.family_id)
        tx = Tx()
        tx.check(
            "family", TokenFamilyItem, family_key(item.family_id), FAMILY_SK,
            TokenFamilyItem.revoked_at.does_not_exist(),
        )
        if customer_id:
            tx.check(
                "customer", CustomerItem, f"CUST#{customer_id}", PROFILE_SK,
                CustomerItem.pk.exists() & CustomerItem.merged_into.does_not_exist(),
            )
        tx.update(
            "spent",
            RefreshTokenItem(pk=item.pk, sk=RT_SK),
            [RefreshTokenItem.spent_at.set(clock.epoch())],
            RefreshTokenItem.spent_at.does_not_exist() & RefreshTokenItem.pk.exists(),
        )
        add_to(tx, pending)
        try:
            tx.commit()
            return pending.body()
        except TxCancelled as exc:
            if "spent" in exc.failed:
                # Two refreshes raced with one token: one of them is a replay.
                revoke_family(item.family_id, "reuse")
            elif exc.failed == {"customer"} and customer_id and resolve_customer is not None:
                customer_id = resolve_customer(customer_id)
                continue
            raise AppError("invalid_refresh_token") from None
    raise AppError("invalid_refresh_token")


def logout(raw: str) -> None:
    """Revoke the sign-in the token belongs to. Unknown or expired tokens are accepted silently."""
    try:
        item = _load(raw)
    except AppError:
        return
    revoke_family(item.family_id, "logout")
