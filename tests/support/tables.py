"""A fresh application table from ``infra/resources.json``, for one test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.aws import REGION, reset_app_caches, use_dummy_aws
from tools.stack import provision


@dataclass(frozen=True)
class TableSet:
    table_name: str
    endpoint: str | None


def dynamodb_client(endpoint: str | None) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@contextmanager
def fresh_tables(monkeypatch: pytest.MonkeyPatch, endpoint: str | None, *, delete: bool = True) -> Iterator[TableSet]:
    """Create uniquely named tables (on ``endpoint``, or wherever boto3 goes: moto under ``mock_aws``),
    point the app's environment at them, and reset its cached settings and connections.

    Sets TABLE_NAME, DYNAMODB_ENDPOINT (removed when ``endpoint`` is None),
    AWS_DEFAULT_REGION/AWS_REGION, dummy credentials and STAGE=local; ``monkeypatch`` restores them.
    """
    use_dummy_aws(monkeypatch)
    client = dynamodb_client(endpoint)
    created = provision.create_tables(client, stage="test", suffix=f"-{uuid.uuid4().hex[:12]}", exist_ok=False)
    tables = TableSet(created["MemberTable"], endpoint)
    monkeypatch.setenv("TABLE_NAME", tables.table_name)
    if endpoint:
        monkeypatch.setenv("DYNAMODB_ENDPOINT", endpoint)
    else:
        monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
    monkeypatch.setenv("STAGE", "local")
    reset_app_caches()
    try:
        yield tables
    finally:
        reset_app_caches()
        if delete:
            provision.delete_tables(client, created)
