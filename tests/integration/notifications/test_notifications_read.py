"""``POST /v1/me/notifications/{id}/read`` for a member with a long history: the id names its item (one GetItem),
ids stored before that shape still read, and nobody reads another member's notification."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from chalicelib.core import clock, notifications
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.tx import Tx
from tests.integration.notifications.test_notifications_delivery import World
from tests.integration.notifications.test_notifications_delivery import world as world

pytestmark = pytest.mark.integration

HISTORY = 45


def _history(cid: str, count: int) -> None:
    """``count`` notifications written the way every area writes them (``put_in``), ten to a transaction."""
    for start in range(0, count, 10):
        tx = Tx()
        for i in range(start, min(count, start + 10)):
            notifications.put_in(tx, cid, "refunded", {"transaction_id": f"txn_h{i}", "status": "refunded"},
                                 label=f"n{i}")
        tx.commit()


def _old_shape(cid: str) -> str:
    """A notification as the first release stored it: ``ntf_<16 hex>``, its time not in the id."""
    item = notifications.notification_item(cid, "completed", {"transaction_id": "txn_old", "status": "completed"})
    old_id = f"ntf_{secrets.token_hex(8)}"
    item.notification_id, item.sk = old_id, f"{notifications.NOTIFICATION_PREFIX}{item.created_at}#{old_id}"
    tx = Tx()
    tx.put("old", item, notifications.NotificationItem.pk.does_not_exist())
    tx.commit()
    return old_id


def _read(world: World, token: str, notification_id: str) -> tuple[int, Any]:
    status, body, _ = world.api.call("POST", f"/v1/me/notifications/{notification_id}/read", token=token)
    return status, body


def _unread(world: World, token: str) -> int:
    status, me, _ = world.api.call("GET", "/v1/me", token=token)
    assert status == 200, me
    return int(me["unread_notifications"])


def _all_ids(cid: str) -> list[str]:
    return [item.notification_id for item in notifications.NotificationItem.query(
        keys.customer_pk(cid), notifications.NotificationItem.sk.startswith(notifications.NOTIFICATION_PREFIX))]


@pytest.mark.slow
def test_a_member_with_a_long_history_reads_the_oldest_and_an_old_id_and_the_counter_follows(world: World):
    cid, token, _openid = world.mp_member(grants=0)  # in-app only: no channel to send on
    old_id = _old_shape(cid)
    _history(cid, HISTORY)
    world.pump_stream()
    assert _unread(world, token) == HISTORY + 1

    ids = _all_ids(cid)  # oldest first (the sort key starts with the time)
    assert len(ids) == HISTORY + 1 and all(notifications.key_of(i) for i in ids if i != old_id)
    oldest_new = next(i for i in ids if i != old_id)
    status, body = _read(world, token, oldest_new)
    assert (status, body) == (200, {"notification_id": oldest_new, "read": True, "unread": HISTORY})
    status, body = _read(world, token, oldest_new)  # again: no change
    assert (status, body["unread"]) == (200, HISTORY)

    status, body = _read(world, token, old_id)  # stored before ids carried their key: still found
    assert (status, body) == (200, {"notification_id": old_id, "read": True, "unread": HISTORY - 1})
    newest = ids[-1]
    assert _read(world, token, newest)[1]["unread"] == HISTORY - 2

    listed = {n["notification_id"]: n["read"] for n in world.inbox(token)}
    assert listed[newest] is True and listed[ids[-2]] is False and len(listed) == 20  # a page of 20
    assert _unread(world, token) == HISTORY - 2


@pytest.mark.slow
def test_unknown_forged_and_another_members_ids_are_404_and_change_nothing(world: World):
    _cid, token, _ = world.mp_member(grants=0)
    other_cid, other_token, _ = world.mp_member(grants=0)
    _history(other_cid, 3)
    old_other = _old_shape(other_cid)
    world.pump_stream()
    theirs = [i for i in _all_ids(other_cid) if i != old_other]
    assert _unread(world, other_token) == 4

    keyed = theirs[0]
    forged = keyed[: keyed.rindex("_") + 1] + secrets.token_hex(8)  # the right time, a random that is not stored
    elsewhere = keyed + "_p480"  # the same instant written in another zone: another key
    for wrong in (keyed, old_other, forged, elsewhere, f"ntf_{secrets.token_hex(8)}",
                  "ntf_zzzzzzzzzz_0123456789abcdef", "ntf_1_0123456789abcdef_p9999", "nope", "ntf_" + "a" * 60):
        status, body = _read(world, token, wrong)
        assert status == 404 and body["error"]["code"] == "not_found", (wrong, body)
    status, body = _read(world, other_token, forged)
    assert status == 404
    assert _unread(world, other_token) == 4
    assert not any(n["read"] for n in world.inbox(other_token))
    assert _unread(world, token) == 0


def test_new_ids_carry_the_created_at_of_the_item_written(world: World):
    cid, _token, _ = world.mp_member(grants=0)
    _history(cid, 2)
    for item in notifications.NotificationItem.query(
            keys.customer_pk(cid), notifications.NotificationItem.sk.startswith(notifications.NOTIFICATION_PREFIX)):
        assert notifications.key_of(item.notification_id) == item.sk
        assert item.created_at <= clock.iso()
