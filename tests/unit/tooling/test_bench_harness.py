"""The bench's pure parts: scenario list, import-time parsing, percentiles (no timings asserted)."""

from __future__ import annotations

from bench.coldstart import parse_importtime
from bench.endpoints import SCENARIOS
from bench.report import percentile, table


def test_every_scenario_has_one_counted_action_and_a_unique_name() -> None:
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names))
    for s in SCENARIOS:
        assert (s.request is None) != (s.direct is None), s.name
        assert s.target is None or s.target >= 0


def test_the_issue_targets_are_in_the_list() -> None:
    targets = {s.name: s.target for s in SCENARIOS}
    assert targets["GET /v1/me"] == 1
    assert targets["token check (JWT) on a member route"] == 0
    logins = [s for s in SCENARIOS if "/login" in s.name]
    assert logins and all(s.target == 3 for s in logins)


IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |       jwt.algorithms
import time:       200 |        300 |     jwt
import time:        50 |        350 |   chalicelib.identity.access_token
import time:        30 |         30 |     chalicelib.core.config
import time:      1000 |       1000 |     pydantic
import time:        20 |       1050 |   chalicelib.core.http.models
import time:        10 |       1410 | app
"""


def test_parse_importtime_splits_our_cost_from_dependencies_first_imported_beneath() -> None:
    costs = {c.name: c for c in parse_importtime(IMPORTTIME)}
    assert set(costs) == {
        "chalicelib.identity.access_token", "chalicelib.core.config", "chalicelib.core.http.models", "app"
    }
    token = costs["chalicelib.identity.access_token"]
    assert (token.ours_us, token.deps_us, token.cumulative_us) == (50, 300, 350)
    models = costs["chalicelib.core.http.models"]
    assert (models.ours_us, models.deps_us) == (50, 1000)
    app = costs["app"]
    assert (app.ours_us, app.deps_us) == (110, 1300)
    assert app.deps == ["pydantic 1ms"]


def test_percentile_interpolates() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 99) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(range(101)), 90) == 90


def test_table_aligns_columns() -> None:
    out = table(("a", "n"), [["x", 1], ["yy", 10]], align="lr").splitlines()
    assert out[0] == "a    n"
    assert out[2:] == ["x    1", "yy  10"]
