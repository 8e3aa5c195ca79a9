"""Race tests' common ground: the app served by several worker processes over real HTTP (gunicorn on DynamoDB Local,
as Lambda runs one request per process), and callers signed in without a round trip (the race is what is measured).

The worker processes keep their own (real) clock: a race test resets this process's clock to real time first, so
what it prepares in-process and what the workers see agree."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from chalicelib.core import clock
from chalicelib.core.http.principal import Principal
from chalicelib.identity import directory, sessions, staff
from tests.support.http import Http, serve_app_processes
from tests.support.phones import new_phone

__all__ = ["Auth", "agent", "app_processes", "member"]

Auth = dict[str, str]
"""The ``authorization`` header of a caller."""


@contextlib.contextmanager
def app_processes(workers: int = 2, timeout: float = 120) -> Iterator[Http]:
    """The app behind ``workers`` processes (two or more for a race), this process's clock on real time."""
    clock.set_now(None)
    with serve_app_processes(workers=workers, timeout=timeout) as server:
        yield server


def member() -> tuple[str, Auth]:
    """A new app member with a verified phone: its customer ID and its ``authorization`` header."""
    phone = new_phone()
    cid = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id
    token = sessions.issue(sessions.member_principal(cid))["access_token"]
    return cid, {"authorization": f"Bearer {token}"}


def agent() -> tuple[str, Auth]:
    """A new agent (a staff account of role agent): its staff ID and its ``authorization`` header."""
    name = f"race-agent-{uuid.uuid4().hex[:8]}"
    staff_id = staff.create_staff(name, "race-agent-pass", "agent", rounds=4)
    token = sessions.issue(Principal(subject=name, role="agent", staff_id=staff_id))["access_token"]
    return staff_id, {"authorization": f"Bearer {token}"}
