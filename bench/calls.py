"""DynamoDB calls and consumed capacity per endpoint, with the app driven in-process.

The app runs under ``chalice.test.Client`` against DynamoDB Local (``bench.stack``); a ``DynamoCounter`` sits
on the one botocore client every model and transaction shares. A warm-up pass runs every scenario once
(module imports, the WeChat server token cache), then each scenario runs ``repeat`` more times, each with a
fresh ``setup``; the table shows the median run and the range when runs differ.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from bench.counter import DynamoCounter, Tally
from bench.endpoints import SCENARIOS, Scenario, Session
from bench.mall import MALL_SCENARIOS
from bench.points_scenarios import POINTS_SCENARIOS
from bench.report import table
from bench.stack import Backend, use_env


@dataclass
class Outcome:
    scenario: Scenario
    tallies: list[Tally] = field(default_factory=list)
    statuses: list[int | None] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def counts(self) -> list[int]:
        return [t.count for t in self.tallies]

    @property
    def typical(self) -> Tally | None:
        """The run whose call count is the median (the first such run)."""
        if not self.tallies:
            return None
        median = sorted(self.counts)[(len(self.counts) - 1) // 2]
        return next(t for t in self.tallies if t.count == median)

    @property
    def verdict(self) -> str:
        if self.errors:
            return "ERROR"
        typical = self.typical
        if typical is None:
            return "ERROR"
        target = self.scenario.target
        if target is None:
            return "-"
        return "ok" if max(self.counts) <= target else "OVER"

    def as_dict(self) -> dict[str, Any]:
        typical = self.typical
        return {
            "endpoint": self.scenario.name,
            "area": self.scenario.area,
            "target": self.scenario.target,
            "verdict": self.verdict,
            "calls": typical.count if typical else None,
            "calls_per_run": self.counts,
            "operations": typical.by_operation if typical else {},
            "sequence": typical.as_dict()["sequence"] if typical else [],
            "rcu": statistics.fmean(t.read_units for t in self.tallies) if self.tallies else None,
            "wcu": statistics.fmean(t.write_units for t in self.tallies) if self.tallies else None,
            "capacity_complete": all(t.capacity_reported for t in self.tallies),
            "statuses": self.statuses,
            "errors": self.errors,
            "note": self.scenario.note,
        }


def run_scenario(session: Session, counter: DynamoCounter, scenario: Scenario) -> tuple[Tally, int | None]:
    state = scenario.setup(session) if scenario.setup else None
    with counter.measure() as tally:
        if scenario.direct is not None:
            scenario.direct(session, state)
            status: int | None = None
        else:
            assert scenario.request is not None, f"{scenario.name}: give request or direct"
            status = session.send(scenario.request(session, state)).status
    return tally, status


def _attempt(session: Session, counter: DynamoCounter, scenario: Scenario, outcome: Outcome | None) -> None:
    try:
        tally, status = run_scenario(session, counter, scenario)
    except Exception as exc:  # a broken setup or route must not hide the rest of the table
        if outcome is not None:
            outcome.errors.append(f"{type(exc).__name__}: {exc}"[:300])
        return
    if outcome is None:
        return
    outcome.tallies.append(tally)
    outcome.statuses.append(status)
    if status is not None and status != scenario.expect:
        outcome.errors.append(f"status {status}, expected {scenario.expect}")


def measure(backend: Backend, scenarios: list[Scenario] | None = None, repeat: int = 3) -> list[Outcome]:
    """Run every scenario against ``backend`` (a warm-up pass, then ``repeat`` counted passes)."""
    from chalice.test import Client

    scenarios = [*SCENARIOS, *POINTS_SCENARIOS, *MALL_SCENARIOS] if scenarios is None else scenarios
    outcomes = [Outcome(s) for s in scenarios]
    with use_env(backend.app_env()):
        import app as application
        from chalicelib.core.dynamo.connection import shared_connection

        with Client(application.app) as client:
            session = Session(client)
            counter = DynamoCounter(shared_connection().client).attach()
            try:
                for scenario in scenarios:
                    _attempt(session, counter, scenario, None)
                for _ in range(repeat):
                    for scenario, outcome in zip(scenarios, outcomes, strict=True):
                        _attempt(session, counter, scenario, outcome)
            finally:
                counter.detach()
    return outcomes


def render(outcomes: list[Outcome], verbose: bool = False) -> str:
    rows = []
    for o in outcomes:
        typical = o.typical
        counts = o.counts
        calls = "-" if typical is None else str(typical.count)
        if counts and min(counts) != max(counts):
            calls += f" ({min(counts)}-{max(counts)})"
        if typical is None:
            capacity = "-"
        else:
            rcu = statistics.fmean(t.read_units for t in o.tallies)
            wcu = statistics.fmean(t.write_units for t in o.tallies)
            capacity = ("~" if any(t.estimated for t in o.tallies) else "") + f"{rcu:g} / {wcu:g}"
            capacity += "" if all(t.capacity_reported for t in o.tallies) else " *"
        target = "-" if o.scenario.target is None else f"<= {o.scenario.target}"
        rows.append(
            [o.scenario.name, calls, typical.operations_text() if typical else "-", capacity, target, o.verdict]
        )
    out = table(("endpoint", "calls", "operations", "RCU / WCU", "target", ""), rows, align="lrlrll")
    notes = [f"  {o.scenario.name}: {o.scenario.note}" for o in outcomes if o.scenario.note]
    errors = [f"  {o.scenario.name}: {'; '.join(dict.fromkeys(o.errors))}" for o in outcomes if o.errors]
    if any(t.capacity_reported is False for o in outcomes for t in o.tallies):
        out += "\n* a refused call (failed condition, cancelled transaction) reports no capacity, though AWS bills it"
    out += (
        "\nRCU / WCU: mean per request, as DynamoDB Local reports them (ReturnConsumedCapacity=TOTAL, table and"
        "\n  indexes); ~ includes a transaction, priced as AWS would (2 WCU per write per KB, 2 RCU per condition"
        "\n  check; index writes not included), since DynamoDB Local reports a flat figure for transactions"
    )
    if notes:
        out += "\nnotes:\n" + "\n".join(notes)
    if errors:
        out += "\nerrors:\n" + "\n".join(errors)
    if verbose:
        out += "\nwhere each call comes from (typical run):"
        for o in outcomes:
            typical = o.typical
            if typical is None or not typical.calls:
                continue
            out += f"\n  {o.scenario.name}"
            for c in typical.calls:
                out += f"\n    {c.operation:<19} {c.origin}"
    return out
