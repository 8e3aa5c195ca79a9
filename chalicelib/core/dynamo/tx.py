"""A thin unit of work over pynamodb's ``TransactWrite`` that tells which labelled item failed.

DynamoDB reports cancellation reasons in request order; pynamodb sends condition checks, then
deletes, then puts, then updates. ``Tx`` keeps a label per item in that same order, so a caller
can ask "did the OTP condition fail, or the rate-limit one?" without counting positions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.items import Item


class TxCancelled(Exception):
    """A condition of the transaction failed; ``failed`` holds the labels of the failing items."""

    def __init__(self, failed: set[str], conflict: bool = False) -> None:
        super().__init__(f"transaction cancelled: {sorted(failed)} conflict={conflict}")
        self.failed = failed
        self.conflict = conflict


class Tx:
    def __init__(self, client_request_token: str | None = None) -> None:
        self._tw = TransactWrite(connection=shared_connection(), client_request_token=client_request_token)
        self._labels: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> Tx:
        """Run ``callback`` once the transaction has committed (e.g. count what it did), never when it fails."""
        self._after_commit.append(callback)
        return self

    def check(self, label: str, model_cls: type[Item], pk: str, sk: str, condition: Condition) -> Tx:
        self._tw.condition_check(model_cls, pk, sk, condition=condition)
        self._labels["check"].append(label)
        return self

    def put(self, label: str, item: Item, condition: Condition | None = None) -> Tx:
        self._tw.save(item, condition=condition)
        self._labels["put"].append(label)
        return self

    def update(self, label: str, item: Item, actions: list[Any], condition: Condition | None = None) -> Tx:
        self._tw.update(item, actions=actions, condition=condition, add_version_condition=False)
        self._labels["update"].append(label)
        return self

    def delete(self, label: str, item: Item, condition: Condition | None = None) -> Tx:
        self._tw.delete(item, condition=condition, add_version_condition=False)
        self._labels["delete"].append(label)
        return self

    @property
    def size(self) -> int:
        return sum(len(v) for v in self._labels.values())

    def commit(self) -> None:
        order = self._labels["check"] + self._labels["delete"] + self._labels["put"] + self._labels["update"]
        try:
            self._tw._commit()
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            failed = {
                order[i] for i, r in enumerate(reasons) if r is not None and r.code == "ConditionalCheckFailed"
            }
            conflict = any(r is not None and r.code == "TransactionConflict" for r in reasons)
            if failed or conflict:
                raise TxCancelled(failed, conflict=conflict and not failed) from exc
            raise
        for callback in self._after_commit:
            callback()
