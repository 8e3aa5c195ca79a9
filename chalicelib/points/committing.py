"""Read, plan, commit one points change; again from a fresh read on a race.

If another change of the same member committed in between, the version condition on the points state fails and
the whole plan is made again from a fresh read (a few tries, with jittered backoff). So balance = sum of buckets =
sum of ledger deltas holds after every commit, and no two changes are computed from the same balance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chalicelib.core.dynamo import retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.points.planning import Outcome, Plan, build_tx
from chalicelib.points.reading import PointsState, load_member

T = TypeVar("T")

MAX_ATTEMPTS = 12
RETRY_LABELS = frozenset({"points", "profile"})


def _commit(tx: Tx) -> None:
    """Commit; a lost race on the points state or the profile is ``retry.Again`` (plan again from a fresh read; the
    retry logs it)."""
    try:
        tx.commit()
    except TxCancelled as exc:
        if exc.failed & RETRY_LABELS:
            raise retry.Again from None
        raise


def execute(customer_id: str, planner: Callable[[PointsState], Plan], max_attempts: int = MAX_ATTEMPTS) -> Outcome:
    """Read the member (consistently), plan, and commit in one transaction; again from a fresh read on a race.

    A failing condition of the caller's own items (labels other than ``points``/``profile``) is raised to the
    caller as ``TxCancelled``; running out of attempts is 503 ``service_unavailable``.
    """
    def once(attempt: int) -> Outcome:
        items = load_member(customer_id, consistent=True)
        state = PointsState.from_items(items)
        plan = planner(state)
        if not plan.write:
            return Outcome(plan, state, [])
        tx, entries = build_tx(state, plan)
        _commit(tx)
        return Outcome(plan, state, entries)
    return retry.until_committed(once, limit=max_attempts, what="points change", customer_id=customer_id)


def execute_with(customer_id: str, step: Callable[[Tx, PointsState], T], max_attempts: int = MAX_ATTEMPTS) -> T:
    """Read the member (consistently), let ``step`` add a points change (``earn_in``/``spend_in``) and the caller's
    own items to one transaction, commit; again from a fresh read on a race, as ``execute``. Returns what ``step``
    returned on the attempt that committed."""
    def once(attempt: int) -> T:
        state = PointsState.from_items(load_member(customer_id, consistent=True))
        tx = Tx()
        result = step(tx, state)
        _commit(tx)
        return result
    return retry.until_committed(once, limit=max_attempts, what="points change", customer_id=customer_id)
