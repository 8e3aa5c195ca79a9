"""Dummy AWS settings for tests, and resetting what the app caches per process (settings, connections, caches)."""

from __future__ import annotations

import os
from typing import Protocol

REGION = "ap-east-1"
DUMMY_AWS_ENV: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
# Anything that could lead boto3 to a real account or another endpoint: removed in tests.
AWS_LEAKS: tuple[str, ...] = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


class EnvPatcher(Protocol):
    def setenv(self, name: str, value: str, prepend: str | None = None) -> None: ...
    def delenv(self, name: str, raising: bool = True) -> None: ...


def force_dummy_aws_environ() -> None:
    """Process-wide safety net (set once at pytest start): no test can reach real AWS by accident."""
    for key in AWS_LEAKS:
        os.environ.pop(key, None)
    os.environ.update(DUMMY_AWS_ENV)
    # No shared config/credentials file is read either (a developer's ~/.aws stays out of tests).
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def use_dummy_aws(monkeypatch: EnvPatcher) -> None:
    """The same, through ``monkeypatch`` so the test's environment is restored afterwards."""
    for key in AWS_LEAKS:
        monkeypatch.delenv(key, raising=False)
    for key, value in DUMMY_AWS_ENV.items():
        monkeypatch.setenv(key, value)


def reset_app_caches() -> None:
    """Forget everything the app caches per process, so it re-reads the environment and the table on next use:
    settings, pynamodb connections (and the shared botocore client), the WeChat clients, and the areas' caches
    (points programme, phone -> member, benefit definitions, rewards and stock, fault switches).

    The one place tests reset app state: fixtures call it when they point the app at other tables or endpoints and
    when they are done. (Inside a test, a single cache is reset where the test means exactly that one.)
    """
    from chalicelib.benefits import definitions
    from chalicelib.core import faults, wechat
    from chalicelib.core.config import reset_settings
    from chalicelib.core.dynamo.items import reset_connections
    from chalicelib.mall import rewards
    from chalicelib.membership import payments, plans
    from chalicelib.points import orders, programme

    reset_settings()
    reset_connections()
    wechat.reset_clients()
    programme.reset_cache()
    orders.reset_cache()
    definitions.reset_cache()
    rewards.reset_cache()
    faults.reset_cache()
    plans.reset_cache()
    payments.use_provider(None)
    from chalicelib.segments import queue as segment_queue
    from chalicelib.segments import store as segment_store

    segment_store.reset_caches()
    segment_queue.reset()
    from chalicelib.webhooks import store as webhook_store

    webhook_store.reset()


def share_botocore_loader() -> None:
    """Every botocore session of the test process reads the service models (JSON files of megabytes) once.

    The tests reset the app's clients between tests (each test has its own tables and settings), and each new
    session would otherwise find and parse the DynamoDB and SQS models again: a fifth of an API test's time.
    Deployed, a Lambda container makes its clients once, so this only concerns the tests.
    """
    import botocore.loaders
    import botocore.session

    loaders: dict[str | None, botocore.loaders.Loader] = {}
    create = botocore.loaders.create_loader

    def shared(search_path_string: str | None = None) -> botocore.loaders.Loader:
        if search_path_string not in loaders:
            loaders[search_path_string] = create(search_path_string)
        return loaders[search_path_string]

    botocore.session.create_loader = shared  # type: ignore[assignment]
