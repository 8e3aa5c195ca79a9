"""The route layer's token check: an access token of a merged-away customer names the survivor, on every route.

A merge absorbs the customer that binds a phone another customer verified (``merges.bind_verified_phone``, the
only merge), so only a customer with no verified phone can be absorbed. Tokens issued for such a customer carry
``mrg`` (``Principal.mergeable``); for them, and only them, the customer's profile is read (one consistent GetItem of
``merged_into``) and a merge is followed to the survivor, here, once per request, before any route runs: every member
route then reads and writes the survivor, none route by route. Tokens of members with a verified phone (app sign-ins,
returning mini-program members with a phone, every token after a merge or a refresh that followed one) stay
DB-free. Two facts are final and kept by the process that learnt them: absorbed -> survivor (a merge is never undone)
and "has a verified phone" (it can never be absorbed: a member who bound a phone without a merge still holds a flagged
token until its session refreshes, and pays one read per process, not per request). "Not merged yet" is read again
each time, since the merge may happen any moment: a member who never binds a phone pays one GetItem per request.
"""

from __future__ import annotations

from chalicelib.core.dynamo import keys
from chalicelib.core.errors import AppError
from chalicelib.core.http.principal import Principal
from chalicelib.identity.access_token import verify_access_token

_SURVIVORS: dict[str, str] = {}  # absorbed -> survivor, or itself once it has a phone: final facts, kept
_MAX_KNOWN = 10_000


def verify(token: str) -> Principal:
    """``verify_access_token``, then the survivor for a member token that may name an absorbed customer."""
    principal = verify_access_token(token)
    if principal.role != "member" or not principal.mergeable or principal.customer_id is None:
        return principal
    survivor = survivor_of(principal.customer_id)
    if survivor == principal.customer_id:
        return principal
    return principal._replace(customer_id=survivor)


def survivor_of(customer_id: str) -> str:
    """The live customer ``customer_id`` names: itself, or the customer it was merged into (followed to the end)."""
    known = _SURVIVORS.get(customer_id)
    if known is not None:
        return known
    from chalicelib.identity import directory

    try:
        live = directory.follow_merged(customer_id, _merged_into, lambda found: found[1], lambda found: True)
    except AppError:  # a loop of aliases: leave the token as it is (its routes answer as for that customer)
        return customer_id
    survivor, _alias, final = live
    if survivor != customer_id or final:
        if len(_SURVIVORS) >= _MAX_KNOWN:
            _SURVIVORS.clear()
        _SURVIVORS[customer_id] = survivor
    return survivor


def _merged_into(customer_id: str) -> tuple[str, str | None, bool]:
    """``(customer_id, merged_into, has a verified phone)`` from one consistent GetItem of two attributes."""
    from chalicelib.identity.models import PROFILE_SK, CustomerItem

    try:
        item = CustomerItem.get(keys.customer_pk(customer_id), PROFILE_SK, consistent_read=True,
                                attributes_to_get=["merged_into", "phone"])
    except CustomerItem.DoesNotExist:
        return customer_id, None, False
    return customer_id, item.merged_into, bool(item.phone) and not item.merged_into
