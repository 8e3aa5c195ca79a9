"""Staff accounts managed by admins: add one, list them, change a role or disable one, reset a password.

A staff ID names an account in the admins' routes; the account's item is keyed by username (sign-in reads it by
what is typed), so ``STAFFID#<staff_id>`` says which username an ID is, written in the same transaction. Disabling
an account or changing its role ends its sessions' refreshes at once (``sessions.rotate`` checks both); a password
reset ends them too (``session_gen``: a refresh token from before it answers 401), and an admin may remove an
account's authenticator (a lost phone) so that it enrols again. Every change here is in the audit trail (the route
layer's rule), with what it was before and after.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core import clock
from chalicelib.core.audit import scope as audit
from chalicelib.core.dynamo import paging
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result, created
from chalicelib.identity import staff
from chalicelib.identity.models import STAFF_DIRECTORY, StaffIdItem, StaffItem, staff_id_pk, staff_pk

INDEX = "gsi1"


def view(item: StaffItem) -> dict[str, Any]:
    return {"staff_id": item.staff_id, "username": item.username, "role": item.role, "disabled": bool(item.disabled),
            "created_at": item.created_at, "updated_at": item.updated_at}


def add(username: str, password: str, role: str) -> Result:
    """201 ``{staff_id}``; 409 ``staff_username_taken``."""
    item = staff.new_staff_item(username, password, role)
    tx = Tx()
    tx.put("staff", item, StaffItem.pk.does_not_exist())
    tx.put("staff_id", StaffIdItem(pk=staff_id_pk(item.staff_id), sk=staff.SK, username=username),
           StaffIdItem.pk.does_not_exist())
    try:
        tx.commit()
    except TxCancelled as exc:
        if "staff" in exc.failed:
            raise AppError("staff_username_taken") from None
        raise AppError("service_unavailable") from None
    logger.info("staff account added", extra={"new_staff_id": item.staff_id, "new_role": role})
    return created({"staff_id": item.staff_id})


def listing(limit: int, cursor: str | None) -> dict[str, Any]:
    """Every account by username, a page per Query on gsi1."""
    start = None
    if cursor:
        username = paging.decode_cursor(cursor, "")
        start = {"pk": staff_pk(username), "sk": staff.SK, "gsi1pk": STAFF_DIRECTORY, "gsi1sk": username}
    items, more = paging.index_page(INDEX, STAFF_DIRECTORY, limit, start=start)
    accounts = [StaffItem.from_raw_data(raw) for raw in items]
    return {"items": [view(a) for a in accounts],
            "next_cursor": paging.encode_cursor(accounts[-1].username) if more and accounts else None}


def _account(staff_id: str) -> StaffItem:
    try:
        username = StaffIdItem.get(staff_id_pk(staff_id), staff.SK).username
        account = StaffItem.get(staff_pk(username), staff.SK, consistent_read=True)
    except (StaffIdItem.DoesNotExist, StaffItem.DoesNotExist):
        raise AppError("not_found") from None
    if account.staff_id != staff_id:  # the username was given to another account since
        raise AppError("not_found")
    return account


def change(actor_staff_id: str | None, staff_id: str, role: str | None, disabled: bool | None) -> dict[str, Any]:
    """Change the role or the disabled flag; an admin cannot change their own (409 ``staff_self_change``)."""
    account = _account(staff_id)
    if staff_id == actor_staff_id and (
        (role is not None and role != account.role) or (disabled is not None and disabled != account.disabled)
    ):
        raise AppError("staff_self_change")
    actions: list[Any] = [StaffItem.updated_at.set(clock.iso())]
    if role is not None:
        actions.append(StaffItem.role.set(role))
    if disabled is not None:
        actions.append(StaffItem.disabled.set(disabled))
    audit.note(before={"role": account.role, "disabled": bool(account.disabled)},
               after={"role": role if role is not None else account.role,
                      "disabled": disabled if disabled is not None else bool(account.disabled)})
    account.update(actions=actions, condition=StaffItem.staff_id == staff_id)
    logger.info("staff account changed", extra={"target_staff_id": staff_id, "new_role": role, "disabled": disabled})
    return view(account)


def reset_password(staff_id: str, password: str) -> None:
    """A new password; the account's sessions end (their refresh tokens answer 401 from now on)."""
    account = _account(staff_id)
    account.update(actions=[StaffItem.password_hash.set(staff.hash_password(password)),
                            StaffItem.session_gen.add(1), StaffItem.updated_at.set(clock.iso())],
                   condition=StaffItem.staff_id == staff_id)
    logger.info("staff password reset", extra={"target_staff_id": staff_id})


def remove_totp(actor_staff_id: str | None, staff_id: str) -> None:
    """Remove an account's authenticator (enrolled or being enrolled): it signs in with its password alone until it
    enrols again (which the role may require). Not one's own (409 ``staff_self_change``)."""
    account = _account(staff_id)
    if staff_id == actor_staff_id:
        raise AppError("staff_self_change")
    audit.note(before={"mfa_enabled": bool(account.totp_secret)}, after={"mfa_enabled": False})
    account.update(actions=[StaffItem.totp_secret.remove(), StaffItem.totp_pending.remove(),
                            StaffItem.totp_last_step.remove(), StaffItem.updated_at.set(clock.iso())],
                   condition=StaffItem.staff_id == staff_id)
    logger.info("staff authenticator removed", extra={"target_staff_id": staff_id})
