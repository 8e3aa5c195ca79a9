"""One botocore DynamoDB client per process, shared by every model and transaction.

PynamoDB gives each model class its own connection and so its own botocore client; with a dozen
item types that is a dozen client constructions on a cold start. ``Item._get_connection`` points
them all at this one client instead. Nothing is created until the first call.
"""

from __future__ import annotations

from pynamodb.connection import Connection

from chalicelib.core.config import settings

_shared: dict[tuple[str | None, str], Connection] = {}


def shared_connection() -> Connection:
    cfg = settings()
    key = (cfg.dynamodb_endpoint, cfg.region)
    conn = _shared.get(key)
    if conn is None:
        conn = Connection(
            region=cfg.region,
            host=cfg.dynamodb_endpoint,
            connect_timeout_seconds=2,
            read_timeout_seconds=5,
            max_retry_attempts=2,
            max_pool_connections=50,
        )
        _shared[key] = conn
    client = conn.client
    if not getattr(client, "_audit_hook_installed", False):  # the staff audit trail rides on every write
        from chalicelib.core.audit import writer

        writer.install(client)
    return conn


def reset_shared_connection() -> None:
    _shared.clear()
