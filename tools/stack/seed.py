"""Seed the local stage: staff accounts, the integration key and every area's catalogue (its manifest's ``seeds``).

Called by the local stack after it provisions the tables; also runnable alone against a running stack
(``python -m tools.stack.seed``, same flags and environment as ``tools.local_stack``). A seeder that fails is reported
with a warning and the others still run, so one area's bad seed never keeps the stack from starting.

The credentials here are the local stage's published defaults (see the API outline), not secrets.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STAFF: tuple[tuple[str, str, str], ...] = (
    ("agent", "agent-local-pass", "agent"),
    ("admin", "admin-local-pass", "admin"),
)
API_KEYS: tuple[tuple[str, str], ...] = (("local-integration", "local-integration-key"),)



def catalogue_seeders() -> list[tuple[str, str]]:
    """Every area's catalogue seeders (``Area.seeds``: idempotent, no arguments), in ``AREAS`` order."""
    from chalicelib.areas import AREAS

    return [(ref.partition(":")[0], ref.partition(":")[2]) for area in AREAS for ref in area.seeds]


@dataclass
class SeedReport:
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _service(module: str, function: str) -> Callable[..., Any] | None:
    try:
        return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        return None


def _run(report: SeedReport, label: str, module: str, function: str, *args: Any) -> None:
    call = _service(module, function)
    if call is None:
        report.skipped.append(f"{label} ({module}.{function} does not exist yet)")
        return
    try:
        call(*args)
    except Exception as err:  # one failing seed must not keep the stack from starting
        code = getattr(err, "code", "")
        report.skipped.append(f"{label} ({type(err).__name__}{' ' + code if code else ''})")
        return
    report.done.append(label)


def seed(echo: Callable[[str], None] = print) -> SeedReport:
    """Create the local staff, API key and catalogue; report what was done and what was skipped."""
    report = SeedReport()
    for username, password, role in STAFF:
        label = f"staff {username} ({role})"
        _run(report, label, "chalicelib.identity.staff", "create_staff", username, password, role)
    for name, raw_key in API_KEYS:
        _run(report, f"api key {name}", "chalicelib.identity.api_keys", "create_api_key", name, raw_key)
    for module, function in catalogue_seeders():
        _run(report, f"catalogue {module}.{function}", module, function)
    if report.done:
        echo("seeded: " + "; ".join(report.done))
    for item in report.skipped:
        echo(f"WARNING: not seeded: {item}")
    return report


def main(argv: list[str] | None = None) -> None:
    import argparse

    from tools.stack import environment

    parser = argparse.ArgumentParser(prog="python -m tools.stack.seed", description=__doc__.split("\n")[0])
    args = environment.parse_args(argv, parser)
    environment.apply_env(environment.local_env(args))
    seed()


if __name__ == "__main__":
    main()
