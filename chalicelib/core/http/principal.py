"""Who is calling: what a verified bearer token says (the token itself is identity's business)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import NamedTuple


class Principal(NamedTuple):
    subject: str
    role: str
    customer_id: str | None = None
    staff_id: str | None = None
    #: the member's customer may still be merged away (no verified phone when the token was issued): the identity
    #: area follows a merge for such tokens; others name a customer that can never be absorbed
    mergeable: bool = False


#: the caller of the request being served (None outside one, or on a public route): lets the member's bounded read
#: refuse the token of a closed account at no call of its own (``identity.member.refuse_closed``)
current: ContextVar[Principal | None] = ContextVar("principal", default=None)
