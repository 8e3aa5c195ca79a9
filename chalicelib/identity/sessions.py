"""Token pairs: a short-lived JWT access token and a rotating refresh token stored hashed.

Refresh tokens belong to a family (one sign-in). Each refresh spends the presented token and issues
the next one of the family. Presenting a spent token again means it was stolen or replayed: the
whole family is revoked, so neither the thief nor the victim can keep refreshing. A family is
revoked by writing ``RTFAM#<family>``; until then no family item exists, so signing in costs no
extra write.

Grace window (``REFRESH_REPLAY_GRACE_SECONDS``, 10 s; the environment variable of that name overrides it). A
mobile app that fires several requests at once, each refreshing with the one token it holds, would otherwise
sign its member out: one refresh wins and the others look like reuse of a spent token. So a spent token
presented again within the window after it was spent gets the same successor (with a fresh access token),
following the chain if the successor was itself rotated meanwhile; after the window a spent token is theft
again and revokes the family. A revoked family stays revoked whatever the window says.

To return the same successor the spent item keeps it sealed: AES-256-GCM under a key derived (HKDF-SHA256)
from the presented raw token, which the server never stores (only its SHA-256 is the item's key, and the key
derivation is a different function). The table alone therefore yields no usable token; only a holder of the
spent token, i.e. the client that was entitled to the successor anyway, can open it. The window is short
because a thief holding a copy of the spent token can do the same within it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pynamodb.attributes import UnicodeAttribute

from chalicelib.core import clock
from chalicelib.core.config import live, settings
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.http.principal import Principal
from chalicelib.core.observability import logger
from chalicelib.identity.access_token import issue_access_token
from chalicelib.identity.models import (
    PROFILE_SK,
    STAFF_SK,
    CustomerItem,
    RefreshTokenItem,
    StaffItem,
    TokenFamilyItem,
    staff_pk,
)

RT_SK = "RT"
FAMILY_SK = "RTFAM"
REFRESH_REPLAY_GRACE_SECONDS = 10
MAX_REPLAY_HOPS = 5  # successors followed for one replay; more rotations within the window is not a client


def replay_grace_seconds() -> float:
    """The grace window; ``REFRESH_REPLAY_GRACE_SECONDS`` in the environment overrides the constant."""
    raw = live("REFRESH_REPLAY_GRACE_SECONDS")
    return float(raw) if raw else float(REFRESH_REPLAY_GRACE_SECONDS)


class SpentRefreshTokenItem(RefreshTokenItem):
    """The refresh item as rotation reads and writes it: once spent, ``successor`` holds the next token of the
    family sealed under a key only the spent token's holder can derive (see the module docstring)."""

    successor = UnicodeAttribute(null=True)


def _sealing_key(raw: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"refresh-successor-v1").derive(raw.encode())


def seal_successor(raw: str, successor_raw: str, pk: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_sealing_key(raw)).encrypt(nonce, successor_raw.encode(), pk.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def open_successor(raw: str, sealed: str, pk: str) -> str | None:
    try:
        blob = base64.urlsafe_b64decode(sealed.encode())
        return AESGCM(_sealing_key(raw)).decrypt(blob[:12], blob[12:], pk.encode()).decode()
    except (ValueError, InvalidTag):
        return None


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


def member_principal(customer_id: str, *, mergeable: bool = False) -> Principal:
    """``mergeable``: the customer has no verified phone yet, so binding one may merge it away (the only merge)."""
    return Principal(subject=customer_id, role="member", customer_id=customer_id, mergeable=mergeable)


def prepare(principal: Principal, family_id: str | None = None, staff_gen: int | None = None) -> PendingTokens:
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
        mergeable=principal.mergeable or None,
        staff_gen=staff_gen or None,
        expires_at=expires,
        ttl=expires + 86400,
    )
    return PendingTokens(principal, raw, item)


def add_to(tx: Tx, pending: PendingTokens) -> Tx:
    return tx.put("refresh_token", pending.item, RefreshTokenItem.pk.does_not_exist())


def save(pending: PendingTokens) -> None:
    """Write the refresh item on its own (one PutItem, cheaper than a one-item transaction)."""
    pending.item.save(RefreshTokenItem.pk.does_not_exist(), add_version_condition=False)


def issue(principal: Principal, staff_gen: int | None = None, **extra: Any) -> dict[str, Any]:
    """Issue a pair on its own (one PutItem)."""
    pending = prepare(principal, staff_gen=staff_gen)
    save(pending)
    return pending.body(**extra)


def _load(raw: str, consistent: bool = False) -> SpentRefreshTokenItem:
    if not raw or len(raw) > 256:
        raise AppError("invalid_refresh_token")
    try:
        item = SpentRefreshTokenItem.get(rt_key(raw), RT_SK, consistent_read=consistent)
    except SpentRefreshTokenItem.DoesNotExist:
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
        return _replay(raw, item)
    customer_id, mergeable = item.customer_id, bool(item.mergeable)
    for _ in range(2):
        principal = Principal(
            subject=customer_id or item.subject, role=item.role, customer_id=customer_id, staff_id=item.staff_id,
            mergeable=mergeable,
        )
        pending = prepare(principal, family_id=item.family_id, staff_gen=item.staff_gen)
        tx = Tx()
        tx.check(
            "family", TokenFamilyItem, family_key(item.family_id), FAMILY_SK,
            TokenFamilyItem.revoked_at.does_not_exist(),
        )
        if customer_id:
            tx.check(
                "customer", CustomerItem, keys.customer_pk(customer_id), PROFILE_SK,
                CustomerItem.pk.exists() & CustomerItem.merged_into.does_not_exist()
                & CustomerItem.closed_at.does_not_exist(),
            )
        if item.staff_id:
            # a staff member disabled, removed, given another role or a new password since: the session ends here
            gen = int(item.staff_gen or 0)
            same_password = StaffItem.session_gen == gen
            if not gen:
                same_password = StaffItem.session_gen.does_not_exist() | same_password
            tx.check(
                "staff", StaffItem, staff_pk(item.subject), STAFF_SK,
                (StaffItem.staff_id == item.staff_id) & (StaffItem.role == item.role)
                & (StaffItem.disabled.does_not_exist() | (StaffItem.disabled == False))  # noqa: E712  # a condition
                & same_password,
            )
        tx.update(
            "spent",
            SpentRefreshTokenItem(pk=item.pk, sk=RT_SK),
            [
                SpentRefreshTokenItem.spent_at.set(clock.epoch()),
                SpentRefreshTokenItem.successor.set(seal_successor(raw, pending.refresh_token, item.pk)),
            ],
            SpentRefreshTokenItem.spent_at.does_not_exist() & SpentRefreshTokenItem.pk.exists(),
        )
        add_to(tx, pending)
        try:
            tx.commit()
            return pending.body()
        except TxCancelled as exc:
            if "spent" in exc.failed:
                # Two refreshes raced with one token: the other one won; within the window this one gets its
                # successor too (a consistent read sees the winner's write).
                return _replay(raw, _load(raw, consistent=True))
            if exc.failed == {"customer"} and customer_id and resolve_customer is not None:
                customer_id = resolve_customer(customer_id)
                mergeable = False  # a survivor owns the verified phone it was merged by
                continue
            raise AppError("invalid_refresh_token") from None
    raise AppError("invalid_refresh_token")


def _family_revoked(family_id: str) -> bool:
    try:
        family = TokenFamilyItem.get(family_key(family_id), FAMILY_SK, consistent_read=True)
    except TokenFamilyItem.DoesNotExist:
        return False
    return family.revoked_at is not None


def _replay(raw: str, item: SpentRefreshTokenItem) -> dict[str, Any]:
    """A spent token presented again: the same successor within the grace window, theft after it."""
    current_raw, current = raw, item
    for _ in range(MAX_REPLAY_HOPS):
        if current.spent_at is None:
            break
        within = clock.now().timestamp() - current.spent_at < replay_grace_seconds()
        successor_raw = (
            open_successor(current_raw, current.successor, current.pk) if within and current.successor else None
        )
        if successor_raw is None:
            revoke_family(item.family_id, "reuse")
            raise AppError("invalid_refresh_token")
        current_raw, current = successor_raw, _load(successor_raw, consistent=True)
    else:
        revoke_family(item.family_id, "reuse")
        raise AppError("invalid_refresh_token")
    if _family_revoked(current.family_id):
        raise AppError("invalid_refresh_token")
    principal = Principal(
        subject=current.customer_id or current.subject, role=current.role, customer_id=current.customer_id,
        staff_id=current.staff_id, mergeable=bool(current.mergeable),
    )
    logger.info("refresh token replayed within the grace window", extra={"family_id": current.family_id})
    return PendingTokens(principal, current_raw, current).body()


def logout(raw: str) -> None:
    """Revoke the sign-in the token belongs to. Unknown or expired tokens are accepted silently."""
    try:
        item = _load(raw)
    except AppError:
        return
    revoke_family(item.family_id, "logout")
