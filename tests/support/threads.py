"""Starting calls at the same instant, for race tests."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_at_once(fn: Callable[..., T], args_list: Iterable[Sequence[Any]], timeout: float = 30,
                *, workers: int | None = None) -> list[T]:
    """``fn(*args)`` for every ``args`` of ``args_list``, each on a thread of its own, released together by one
    ``threading.Barrier``; the results in the order of ``args_list`` (an exception in a call is raised here).

    ``workers`` caps the threads (default: one per call): the barrier then holds ``min(calls, workers)`` and lets
    them go batch by batch. A thread waits at most ``timeout`` seconds at the barrier, then goes anyway (a broken
    barrier only means less overlap, e.g. for a last batch smaller than the others).
    """
    calls = [tuple(args) for args in args_list]
    if not calls:
        return []
    threads = min(len(calls), workers or len(calls))
    barrier = threading.Barrier(threads)

    def go(args: tuple[Any, ...]) -> T:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=timeout)
        return fn(*args)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(go, calls))


def call_it(thunk: Callable[[], T]) -> T:
    """``run_at_once(call_it, [(thunk,) ...])``: for calls written as zero-argument lambdas."""
    return thunk()


def run_all(calls: Sequence[Callable[[], T]], timeout: float = 30, *, workers: int | None = None) -> list[T]:
    """Zero-argument calls started together (``run_at_once`` of each); their results in order."""
    return run_at_once(call_it, [(call,) for call in calls], timeout, workers=workers)
