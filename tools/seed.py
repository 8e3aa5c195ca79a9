"""Seed the local stage: staff accounts, the integration key and (later) the catalogue.

Called by the local stack after it provisions the tables; also runnable alone against a running stack
(``python -m tools.seed``, same flags and environment as ``tools.local_stack``). The services are imported
lazily: one that does not exist yet is skipped with a warning, so the stack runs while the app grows.

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

# ---------------------------------------------------------------------------------------------------
# CATALOGUE SEEDS GO HERE: tiers, benefits, rewards (at least one fulfilled by the simulated partner),
# stores (with services and slots) and events. Add one ("module", "function") entry per seeder; each
# function takes no argument, must be idempotent (the stack may run it on a table that already has the
# data) and is imported lazily, so a module that does not exist yet is skipped with a warning.
# ---------------------------------------------------------------------------------------------------
CATALOGUE_SEEDERS: list[tuple[str, str]] = [
    ("chalicelib.services.points_config", "seed_defaults"),  # tier catalogue and points settings
    ("chalicelib.services.rewards", "seed_defaults"),  # points-mall rewards (one by the simulated partner)
    ("chalicelib.services.benefits", "seed_defaults"),  # benefits per tier, opening gift pack, birthday benefits
]


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
        _run(report, label, "chalicelib.services.staff", "create_staff", username, password, role)
    for name, raw_key in API_KEYS:
        _run(report, f"api key {name}", "chalicelib.services.api_keys", "create_api_key", name, raw_key)
    for module, function in CATALOGUE_SEEDERS:
        _run(report, f"catalogue {module}.{function}", module, function)
    if report.done:
        echo("seeded: " + "; ".join(report.done))
    for item in report.skipped:
        echo(f"WARNING: not seeded: {item}")
    return report


def main(argv: list[str] | None = None) -> None:
    from tools import local_stack

    args = local_stack.parse_args(argv)
    local_stack.apply_env(local_stack.local_env(args))
    seed()


if __name__ == "__main__":
    main()
