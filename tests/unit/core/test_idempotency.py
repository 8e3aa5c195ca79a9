"""The shared idempotency helper (moto, in-process): scoping, hashing, replay, reuse, expiry, races."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core import clock, idempotency
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.http.models import Body
from chalicelib.core.http.routing import as_reply
from chalicelib.core.idempotency import IdempotencyItem
from chalicelib.core.results import Outcome
from tests.support.clock import frozen_clock

OWNER = "CUST#c1"
SCOPE = "POST /v1/redemptions"


class RedeemBody(Body):
    reward_id: str
    quantity: int = 1


@pytest.fixture(autouse=True)
def _unfreeze():
    with frozen_clock():
        yield


def test_the_hash_is_canonical_and_models_hash_like_their_dicts():
    a = idempotency.hash_payload({"reward_id": "r1", "quantity": 1})
    assert a == idempotency.hash_payload({"quantity": 1, "reward_id": "r1"})
    assert a == idempotency.hash_payload(RedeemBody(reward_id="r1"))
    assert a != idempotency.hash_payload({"reward_id": "r1", "quantity": 2})


def test_keys_are_scoped_per_route_and_per_caller():
    one = idempotency.request(OWNER, SCOPE, "k", {})
    assert one.sk.startswith("H#IDEM#") and len(one.sk) == len("H#IDEM#") + idempotency.DIGEST_CHARS
    assert one.sk != idempotency.request(OWNER, "POST /v1/benefits/{benefit_id}/claims", "k", {}).sk
    other_caller = idempotency.request("CUST#c2", SCOPE, "k", {})
    assert (other_caller.owner_pk, other_caller.sk) != (one.owner_pk, one.sk) and other_caller.sk == one.sk


def test_a_missing_key_is_refused():
    with pytest.raises(AppError) as err:
        idempotency.request(OWNER, SCOPE, None, {})
    assert err.value.code == "idempotency_key_required"


def _commit(req: idempotency.Request, body: dict, outcome: Outcome = "created", **kw) -> None:
    tx = Tx()
    idempotency.record_in(tx, req, outcome, body, **kw)
    tx.commit()


def test_recorded_response_replays_with_the_header_and_reuse_is_422(moto_table: str):
    req = idempotency.request(OWNER, SCOPE, "key-1", {"reward_id": "r1", "quantity": 1})
    assert idempotency.get(req) is None
    _commit(req, {"redemption_id": "rdm_1"})
    stored = idempotency.get(req)
    assert stored is not None and stored.status == 201 and stored.body == {"redemption_id": "rdm_1"}
    reply = as_reply(idempotency.replay_response(stored))
    assert (reply.status, reply.body, reply.headers) == (201, {"redemption_id": "rdm_1"},
                                                         {"Idempotent-Replayed": "true"})
    reused = idempotency.request(OWNER, SCOPE, "key-1", {"reward_id": "r1", "quantity": 2})
    with pytest.raises(AppError) as err:
        idempotency.get(reused)
    assert err.value.code == "idempotency_key_reused" and err.value.status == 422


def test_lookup_finds_the_record_among_items_of_a_query(moto_table: str):
    req = idempotency.request(OWNER, SCOPE, "key-2", {"a": 1})
    _commit(req, {"x": 1})
    other = idempotency.request(OWNER, SCOPE, "key-3", {"a": 1})
    _commit(other, {"x": 2})
    raw = [IdempotencyItem.get(OWNER, r.sk).serialize() for r in (other, req)]
    raw = [{"pk": {"S": OWNER}, "sk": {"S": r.sk}, **item} for r, item in zip((other, req), raw, strict=True)]
    found = idempotency.lookup(req, raw)
    assert found is not None and found.body == {"x": 1}
    assert idempotency.lookup(idempotency.request(OWNER, SCOPE, "key-4", {}), raw) is None
    with pytest.raises(AppError):
        idempotency.lookup(idempotency.request(OWNER, SCOPE, "key-2", {"a": 2}), raw)


def test_a_second_record_for_one_key_cancels_its_transaction(moto_table: str):
    req = idempotency.request(OWNER, SCOPE, "key-5", {"a": 1})
    _commit(req, {"first": True})
    with pytest.raises(TxCancelled) as exc:
        _commit(req, {"first": False})
    assert idempotency.LABEL in exc.value.failed
    reply = as_reply(idempotency.replay_after_race(req))
    assert reply.body == {"first": True} and reply.headers["Idempotent-Replayed"] == "true"


def test_an_expired_record_counts_as_absent_and_may_be_replaced(moto_table: str):
    start = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    clock.set_now(start)
    req = idempotency.request(OWNER, SCOPE, "key-6", {"a": 1})
    _commit(req, {"n": 1})
    clock.set_now(start + timedelta(seconds=idempotency.TTL_SECONDS + 1))
    assert idempotency.get(req) is None
    _commit(req, {"n": 2})  # the stale record (not yet deleted by TTL) does not block the key
    stored = idempotency.get(req)
    assert stored is not None and stored.body == {"n": 2}


def test_a_provisional_record_is_finalised_in_place(moto_table: str):
    req = idempotency.request(OWNER, SCOPE, "key-7", {"a": 1})
    _commit(req, {"status": "retrying"}, "accepted", provisional=True)
    stored = idempotency.get(req)
    assert stored is not None and stored.provisional and stored.status == 202
    tx = Tx()
    idempotency.finalise_in(tx, req, "created", {"status": "completed"})
    tx.commit()
    stored = idempotency.get(req)
    assert stored is not None and not stored.provisional and (stored.status, stored.body) == (
        201, {"status": "completed"})
