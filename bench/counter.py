"""Counting DynamoDB calls and the capacity they consume, through botocore's event hooks.

Attach a ``DynamoCounter`` to the botocore client every model and transaction shares
(``shared_connection().client``). Per API call (retries inside botocore are not separate calls):

- ``before-parameter-build.dynamodb.*`` asks for ``ReturnConsumedCapacity=TOTAL`` where the operation takes it;
- ``before-call.dynamodb.*`` records the operation name;
- ``after-call.dynamodb.*`` reads ``ConsumedCapacity``.

DynamoDB Local reports capacity for single-item calls as AWS would (table and indexes), none for refused
calls (a failed condition, a cancelled transaction: AWS bills those too), and a flat figure for
``TransactWriteItems`` whatever its size (checked: 1, 2 and 5 puts all report the same). For transactions the
counter therefore also estimates AWS's price from the request: 2 WCU per write action per started KB of a
put item (an update or delete counts as one KB; index writes are not included) and 2 RCU per condition check.
``Call.estimated`` marks those figures.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "ExecuteStatement"})

_EVENTS = ("before-parameter-build.dynamodb", "before-call.dynamodb", "after-call.dynamodb")


@dataclass
class Call:
    operation: str
    read_units: float = 0.0
    write_units: float = 0.0
    capacity_reported: bool = False
    estimated: bool = False
    error_code: str | None = None
    items: int = 1
    origin: str = ""


@dataclass
class Tally:
    """What a stretch of code cost: calls in order, with their capacity."""

    calls: list[Call] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.calls)

    @property
    def by_operation(self) -> dict[str, int]:
        return dict(Counter(c.operation for c in self.calls))

    @property
    def read_units(self) -> float:
        return round(sum(c.read_units for c in self.calls), 2)

    @property
    def write_units(self) -> float:
        return round(sum(c.write_units for c in self.calls), 2)

    @property
    def capacity_reported(self) -> bool:
        return all(c.capacity_reported for c in self.calls)

    @property
    def estimated(self) -> bool:
        return any(c.estimated for c in self.calls)

    def operations_text(self) -> str:
        """``GetItem x2 + TransactWriteItems[5]``: operations in first-seen order, transaction sizes in brackets."""
        parts = []
        for name, n in self.by_operation.items():
            text = name if n == 1 else f"{name} x{n}"
            if name.startswith("Transact"):
                text += "[" + ",".join(str(c.items) for c in self.calls if c.operation == name) + "]"
            parts.append(text)
        return " + ".join(parts) if parts else "-"

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.count,
            "operations": self.by_operation,
            "sequence": [c.operation for c in self.calls],
            "rcu": self.read_units,
            "wcu": self.write_units,
            "capacity_reported": self.capacity_reported,
            "capacity_estimated": self.estimated,
            "transaction_items": [c.items for c in self.calls if c.operation.startswith("Transact")],
            "errors": [c.error_code for c in self.calls if c.error_code],
            "origins": [f"{c.operation} {c.origin}" for c in self.calls],
        }


def item_size(item: dict[str, Any]) -> int:
    """Roughly DynamoDB's item size: attribute names plus their values (bytes)."""
    return sum(
        len(name.encode()) + len(json.dumps(value, separators=(",", ":")).encode()) for name, value in item.items()
    )


def transaction_estimate(params: dict[str, Any]) -> tuple[float, float, int]:
    """(RCU, WCU, actions) AWS would charge for a ``TransactWriteItems`` or ``TransactGetItems`` request."""
    read = write = 0.0
    actions = params.get("TransactItems") or []
    for action in actions:
        for kind, body in action.items():
            if kind in ("ConditionCheck", "Get"):
                read += 2
            elif kind == "Put":
                write += 2 * max(1, math.ceil(item_size(body.get("Item") or {}) / 1024))
            else:  # Update, Delete: the item's size is not in the request
                write += 2
    return read, write, len(actions)


_PACKAGE = f"{os.sep}chalicelib{os.sep}"
_DATA_LAYER = f"{os.sep}chalicelib{os.sep}core{os.sep}dynamo{os.sep}"


def call_origin(depth: int = 3) -> str:
    """Where in our code a call comes from: the innermost ``chalicelib`` frames above the data layer,
    e.g. ``identity/directory.py:84 lookup < identity/sign_in.py:239 app_login``."""
    frames = []
    frame = sys._getframe(1)
    while frame is not None and len(frames) < depth:
        path = frame.f_code.co_filename
        if _PACKAGE in path and _DATA_LAYER not in path:
            short = path.rsplit(_PACKAGE, 1)[1].replace(os.sep, "/")
            frames.append(f"{short}:{frame.f_lineno} {frame.f_code.co_name}")
        frame = frame.f_back
    return " < ".join(frames)


def _units(operation: str, consumed: Any) -> tuple[float, float, bool]:
    """(read units, write units, reported?) from a ``ConsumedCapacity`` value (a dict, or a list for many tables)."""
    if not consumed:
        return 0.0, 0.0, False
    entries = consumed if isinstance(consumed, list) else [consumed]
    read = write = 0.0
    for entry in entries:
        if "ReadCapacityUnits" in entry or "WriteCapacityUnits" in entry:
            read += float(entry.get("ReadCapacityUnits") or 0)
            write += float(entry.get("WriteCapacityUnits") or 0)
        elif operation in READ_OPERATIONS:
            read += float(entry.get("CapacityUnits") or 0)
        else:
            write += float(entry.get("CapacityUnits") or 0)
    return read, write, True


class DynamoCounter:
    """Counts the DynamoDB calls made through one botocore client while attached.

    >>> counter = DynamoCounter(shared_connection().client).attach()
    >>> with counter.measure() as tally:
    ...     do_something()
    >>> tally.count, tally.by_operation, tally.read_units, tally.write_units
    """

    def __init__(self, client: Any, *, capacity: bool = True) -> None:
        self._client = client
        self._capacity = capacity
        self._lock = threading.Lock()
        self._tally = Tally()
        self._current: dict[int, Call] = {}
        self._attached = False

    # -- hooks ------------------------------------------------------------------------------------

    def _before_parameter_build(
        self, params: dict[str, Any], model: Any, context: dict[str, Any] | None = None, **_: Any
    ) -> None:
        if self._capacity and "ReturnConsumedCapacity" in model.input_shape.members:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")
        if context is not None and model.name.startswith("Transact"):
            context["bench_estimate"] = transaction_estimate(params)

    def _before_call(self, model: Any, context: dict[str, Any] | None = None, **_: Any) -> None:
        call = Call(model.name, origin=call_origin())
        estimate = (context or {}).get("bench_estimate")
        if estimate is not None:
            call.items = estimate[2]
        with self._lock:
            self._tally.calls.append(call)
            if context is not None:
                context["bench_call"] = call

    def _after_call(self, model: Any, parsed: dict[str, Any], context: dict[str, Any] | None = None, **_: Any) -> None:
        call = (context or {}).get("bench_call")
        if call is None:
            return
        # A refused call (failed condition, cancelled transaction) reports no capacity, though AWS bills it.
        consumed = parsed.get("ConsumedCapacity")
        call.read_units, call.write_units, call.capacity_reported = _units(model.name, consumed)
        estimate = (context or {}).get("bench_estimate")
        if estimate is not None:
            call.read_units, call.write_units = estimate[0], estimate[1]
            call.estimated = True
        error = parsed.get("Error") or {}
        call.error_code = error.get("Code")

    # -- control ----------------------------------------------------------------------------------

    def attach(self) -> DynamoCounter:
        if not self._attached:
            events = self._client.meta.events
            events.register(f"{_EVENTS[0]}.*", self._before_parameter_build, unique_id="bench-counter-params")
            events.register(f"{_EVENTS[1]}.*", self._before_call, unique_id="bench-counter-call")
            events.register(f"{_EVENTS[2]}.*", self._after_call, unique_id="bench-counter-after")
            self._attached = True
        return self

    def detach(self) -> None:
        if self._attached:
            events = self._client.meta.events
            events.unregister(f"{_EVENTS[0]}.*", unique_id="bench-counter-params")
            events.unregister(f"{_EVENTS[1]}.*", unique_id="bench-counter-call")
            events.unregister(f"{_EVENTS[2]}.*", unique_id="bench-counter-after")
            self._attached = False

    def __enter__(self) -> DynamoCounter:
        return self.attach()

    def __exit__(self, *exc: object) -> None:
        self.detach()

    def reset(self) -> Tally:
        """Start a new tally; returns the one that ended."""
        with self._lock:
            ended, self._tally = self._tally, Tally()
        return ended

    @property
    def tally(self) -> Tally:
        return self._tally

    def measure(self) -> _Measurement:
        return _Measurement(self)


class _Measurement:
    def __init__(self, counter: DynamoCounter) -> None:
        self._counter = counter
        self.tally = Tally()

    def __enter__(self) -> Tally:
        self._counter.reset()
        return self.tally

    def __exit__(self, *exc: object) -> None:
        self.tally.calls.extend(self._counter.reset().calls)
