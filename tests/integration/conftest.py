"""In-process API fixtures over DynamoDB Local and the WeChat simulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.api import ApiClient, in_process_api


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
def segments_world(api: ApiClient, sqs_queues: Any, sqs_client: Any) -> Iterator[Any]:
    """The segments and campaigns tests' world (``tests/support/segments_world.py``)."""
    from tests.support import segments_world as world

    yield from world.make(api, sqs_queues, sqs_client)
