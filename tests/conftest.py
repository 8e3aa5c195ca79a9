"""Fixtures every test directory can use.

- ``ddb_endpoint`` (session): DynamoDB Local's URL. One JVM per pytest(-xdist) worker on a free port, stopped
  at the end; ``TEST_DYNAMODB_ENDPOINT`` uses a running one instead.
- ``ddb_table``: fresh application + idempotency tables (from ``infra/resources.json``) on DynamoDB Local;
  yields the application table's name. Sets TABLE_NAME, DYNAMODB_ENDPOINT, AWS region,
  dummy credentials and STAGE=local, resets the app's settings and pynamodb connections; all undone after.
- ``aws_mock``: moto's ``mock_aws`` for one test (``moto_table`` and ``sqs_queues`` share it).
- ``moto_table``: the same tables as ``ddb_table`` inside moto, in-process (fast; not for concurrency tests:
  moto's transactions are not atomic under threads). DYNAMODB_ENDPOINT is removed.
- ``sqs_queues``: the template's queues in moto (local retry settings: visibility 5 s, 3 receives); sets
  RETRY_QUEUE_NAME/FOLLOWUP_QUEUE_NAME and removes SQS_ENDPOINT. Yields ``{logical id: QueueInfo}`` with
  ``.name``, ``.url``, ``.arn``; works alongside ``ddb_table`` (moto lets calls to DynamoDB Local through).
- ``sqs_client``: a boto3 SQS client inside ``aws_mock``.
- ``local_stack`` (session): the whole stack (``tools/stack/runner.py``) on free ports; yields its base URL, a
  ``str`` that also carries ``.wechat_url``, ``.dynamodb_endpoint``, ``.sqs_endpoint``. ``TEST_LOCAL_STACK_URL``
  uses a running stack instead.

Whatever a test does, AWS credentials are dummies and no config file is read: nothing reaches real AWS.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

import chalicelib.areas  # noqa: F401  # the composition, as app.py runs it: every area's manifest installed
from tests.support.aws import REGION, force_dummy_aws_environ, share_botocore_loader, use_dummy_aws
from tests.support.local_stack import LocalStackUrl, external_stack, start_local_stack
from tests.support.tables import fresh_tables

force_dummy_aws_environ()  # at import: before any test module creates a client
share_botocore_loader()

# Hypothesis's per-example deadline is a timed assertion: on a shared, loaded machine it fails examples whose
# behaviour is right ("Unreliable test timings"). Speed is measured in bench/, never asserted in tests.
hypothesis_settings.register_profile("project", deadline=None)
hypothesis_settings.load_profile("project")


def pytest_configure(config: pytest.Config) -> None:
    force_dummy_aws_environ()


# ------------------------------------------------------------------------------------------ DynamoDB Local


@pytest.fixture(scope="session")
def ddb_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("TEST_DYNAMODB_ENDPOINT")
    if external:
        yield external
        return
    from tools.stack import dynamodb_local

    try:
        server = dynamodb_local.start(log_path=tmp_path_factory.mktemp("dynamodb-local") / "dynamodb-local.log")
    except dynamodb_local.DynamoDBLocalMissing as err:
        pytest.fail(str(err), pytrace=False)
    try:
        yield server.endpoint
    finally:
        server.stop()


@pytest.fixture
def ddb_table(ddb_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with fresh_tables(monkeypatch, ddb_endpoint) as tables:
        yield tables.table_name


# ------------------------------------------------------------------------------------------------ moto


@pytest.fixture
def aws_mock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from moto import mock_aws

    use_dummy_aws(monkeypatch)
    with mock_aws():
        yield


@pytest.fixture
def moto_table(aws_mock: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with fresh_tables(monkeypatch, None, delete=False) as tables:  # moto's state goes with the mock
        yield tables.table_name


@pytest.fixture
def sqs_client(aws_mock: None) -> Any:
    import boto3

    return boto3.client("sqs", region_name=REGION)


@pytest.fixture
def sqs_queues(sqs_client: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    from chalicelib.core.config import reset_settings
    from tools.stack import provision

    queues = provision.create_queues(sqs_client, local=True)
    monkeypatch.setenv("RETRY_QUEUE_NAME", queues["RetryQueue"].name)
    monkeypatch.setenv("FOLLOWUP_QUEUE_NAME", queues["FollowUpQueue"].name)
    monkeypatch.delenv("SQS_ENDPOINT", raising=False)
    reset_settings()
    yield queues
    reset_settings()


# ----------------------------------------------------------------------------------------------- e2e


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackUrl]:
    stack = external_stack() or start_local_stack(tmp_path_factory.mktemp("local-stack"))
    try:
        yield stack.url
    finally:
        stack.stop()
