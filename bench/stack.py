"""What the bench runs against: DynamoDB Local with the template's tables, the WeChat simulator, the env.

``local_backend()`` starts DynamoDB Local (``tools.stack.dynamodb_local``; or reuses ``BENCH_DYNAMODB_ENDPOINT``),
creates the tables of ``infra/resources.json`` under a fresh suffix (``tools.stack.provision``) and starts the
WeChat simulator (``tools.simulators.wechat_sim``). ``app_env()`` is the local stage's environment from
``.chalice/config.json`` pointed at them; ``use_env()`` applies it to this process and forgets every
cached setting, connection and client so the app picks it up.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
CHALICE_CONFIG = REPO_ROOT / ".chalice" / "config.json"
REGION = "ap-east-1"

# Dummy credentials (DynamoDB Local wants letters and digits only); nothing here may ever reach real AWS.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "benchlocal",
    "AWS_SECRET_ACCESS_KEY": "benchlocal",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
QUIET_ENV = {
    # The bench prints a table: keep the app's INFO logs and EMF metric lines off stdout.
    "POWERTOOLS_LOG_LEVEL": "ERROR",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def local_stage_env() -> dict[str, str]:
    """The environment ``chalice local --stage local`` would give the app."""
    config = json.loads(CHALICE_CONFIG.read_text(encoding="utf-8"))
    env = dict(config.get("environment_variables", {}))
    env.update(config.get("stages", {}).get("local", {}).get("environment_variables", {}))
    return {k: str(v) for k, v in env.items()}


@dataclass
class Backend:
    dynamodb_endpoint: str
    tables: dict[str, str]
    wechat_base_url: str
    _stops: list[Any] = field(default_factory=list, repr=False)

    @property
    def table_name(self) -> str:
        return self.tables["MemberTable"]

    def app_env(self) -> dict[str, str]:
        env = local_stage_env()
        env.update(AWS_ENV)
        env.update(QUIET_ENV)
        env.update(
            {
                "STAGE": "local",
                "TABLE_NAME": self.table_name,
                "DYNAMODB_ENDPOINT": self.dynamodb_endpoint,
                "WECHAT_API_BASE": self.wechat_base_url,
                "WECHAT_MP_SECRET": "local-mp-secret",
                "WECHAT_OA_SECRET": "local-oa-secret",
                "SMS_PROVIDER": "outbox",
            }
        )
        env.pop("SQS_ENDPOINT", None)  # the bench drives HTTP routes only
        return env


def dynamodb_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )


@contextmanager
def local_backend(dynamodb_endpoint: str | None = None) -> Iterator[Backend]:
    """DynamoDB Local (started here unless an endpoint is given) with fresh tables, and the WeChat simulator."""
    from tools.simulators import wechat_sim
    from tools.stack import dynamodb_local, provision

    endpoint = dynamodb_endpoint or os.environ.get("BENCH_DYNAMODB_ENDPOINT") or None
    ddb = None
    sim = None
    tables: dict[str, str] = {}
    client = None
    try:
        if endpoint is None:
            ddb = dynamodb_local.start(port=0)
            endpoint = ddb.endpoint
        client = dynamodb_client(endpoint)
        tables = provision.create_tables(client, suffix=f"-bench-{secrets.token_hex(3)}")
        sim, _thread = wechat_sim.start(port=0)
        yield Backend(dynamodb_endpoint=endpoint, tables=tables, wechat_base_url=sim.base_url)
    finally:
        if sim is not None:
            sim.stop()
        if client is not None and tables:
            provision.delete_tables(client, tables)
        if ddb is not None:
            ddb.stop()


def reset_app_caches() -> None:
    """Forget settings, DynamoDB connections and per-process clients (after changing the environment)."""
    from chalicelib.core import wechat
    from chalicelib.core.config import reset_settings
    from chalicelib.core.dynamo.items import reset_connections
    from chalicelib.core.sms import sms_sender

    reset_settings()
    reset_connections()
    wechat.reset_clients()
    sms_sender.cache_clear()


@contextmanager
def use_env(env: dict[str, str]) -> Iterator[None]:
    """Apply ``env`` to this process (restored afterwards) and reset the app's caches both ways."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    reset_app_caches()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_app_caches()
