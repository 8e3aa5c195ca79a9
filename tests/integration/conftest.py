"""In-process API fixtures over DynamoDB Local and the WeChat simulator, and the worlds the area tests share.

- ``api``: the app in chalice's test client on fresh tables (``tests/support/api.py``).
- ``points_world`` / ``benefits_world``: members on demand, an agent, an admin and an integration key
  (``tests/support/points_world.py``, ``benefits_world.py``), made and used with the clock frozen at ``world_time``.
- ``world_time``: Monday 23 November 2026, 10:00 in Shanghai; a module that needs another day overrides it.
- ``followup_world``: the follow-up cases' world (``tests/support/followup_world.py``) with the SQS queues.
- ``queued_points_world``: the points world with the SQS queues, the app's retry port made again from them (data
  rights: an export and an erasure run as queued passes).
- ``surveys_world``: the surveys' world on a Monday 09:00 (``tests/support/survey_world.py``).
- ``segments_world``: the segments and campaigns tests' world (``tests/support/segments_world.py``).

A test module names the world it uses ``world`` by a two-line alias fixture, so its tests read the same in every area.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from tests.support.api import ApiClient, in_process_api
from tests.support.benefits_world import BenefitsWorld
from tests.support.clock import at, frozen_clock
from tests.support.followup_world import FollowUpWorld
from tests.support.points_world import PointsWorld


@pytest.fixture(scope="session")
def wechat_sim() -> Iterator[Any]:
    from tools.simulators.wechat_sim import start

    server, _thread = start(port=0)
    yield server
    server.stop()


@pytest.fixture
def api(ddb_table: str, wechat_sim: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[ApiClient]:
    with in_process_api(monkeypatch, wechat_sim.base_url, str(tmp_path)) as client:
        yield client


@pytest.fixture
def segments_world(api: ApiClient, sqs_queues: Any, sqs_client: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The segments and campaigns tests' world (``tests/support/segments_world.py``). Its pump drives the stream and
    the queue in turn, so a definition's rebuild need not wait for other stream workers' caches: at once."""
    from chalicelib.core.config import reset_settings
    from tests.support import segments_world as world

    monkeypatch.setenv("SEGMENT_REBUILD_DELAY_SECONDS", "0")
    reset_settings()
    yield from world.make(api, sqs_queues, sqs_client)


@pytest.fixture
def world_time() -> datetime:
    """When the worlds are made and their tests start: a Monday, 10:00 in Shanghai (a module may override it)."""
    return at(2026, 11, 23, 10, 0)


@pytest.fixture
def points_world(api: ApiClient, world_time: datetime) -> Iterator[PointsWorld]:
    """The points tests' world, the clock frozen at ``world_time`` for the test (running again after it)."""
    with frozen_clock(world_time):
        yield PointsWorld.make(api)


@pytest.fixture
def queued_points_world(api: ApiClient, sqs_queues: Any) -> Iterator[PointsWorld]:
    """The points world, the retry port made again from the test's queues and put back after."""
    from chalicelib.core.retry import outbox

    previous = outbox.retry_port()
    outbox.set_retry_port(None)
    yield PointsWorld.make(api)
    outbox.set_retry_port(previous)


@pytest.fixture
def benefits_world(api: ApiClient, world_time: datetime) -> Iterator[BenefitsWorld]:
    """The benefits tests' world (the points world with benefit definitions read fresh), clock as ``points_world``."""
    with frozen_clock(world_time):
        yield BenefitsWorld.make(api)


@pytest.fixture
def followup_world(api: ApiClient, sqs_queues: Any, sqs_client: Any) -> Iterator[FollowUpWorld]:
    """The follow-up cases' world, its SQS queues at hand; the retry port and the fault switches put back after."""
    from chalicelib.core import faults
    from chalicelib.core.retry import outbox

    faults.reset_cache()
    previous = outbox.retry_port()
    world = FollowUpWorld.make(api)
    world.sqs, world.queues = sqs_client, sqs_queues
    yield world
    outbox.set_retry_port(previous)
    faults.reset_cache()


@pytest.fixture
def surveys_world(api: ApiClient, sqs_queues: Any, sqs_client: Any) -> Iterator[Any]:
    """The surveys' world (``tests/support/survey_world.py``): Monday 09:00, fresh caches, the till's API key."""
    from tests.support.survey_world import survey_world

    with survey_world(api, sqs_client, sqs_queues) as world:
        yield world
