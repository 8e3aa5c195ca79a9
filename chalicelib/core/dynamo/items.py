"""The base of every item: one table, generic keys ``pk``/``sk``, two generic indexes and a TTL attribute.

Every item type is a pynamodb model over the same table. The table name and endpoint are read from settings when
a connection is first made (see ``_LazyMeta``): importing this module creates no AWS client.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.config import settings


class _LazyMeta(type):
    """Makes ``Meta.table_name``/``host``/``region`` read settings at use, not at import."""

    @property
    def table_name(cls) -> str:
        return settings().table_name

    @property
    def host(cls) -> str | None:
        return settings().dynamodb_endpoint

    @property
    def region(cls) -> str:
        return settings().region


class TableMeta(metaclass=_LazyMeta):
    connect_timeout_seconds = 2
    read_timeout_seconds = 5
    max_retry_attempts = 2
    max_pool_connections = 50


class Gsi1(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Item(Model):
    """Base of every item: generic keys and an optional expiry (DynamoDB TTL, epoch seconds)."""

    Meta = TableMeta  # type: ignore[assignment]  # a class whose properties read settings, not pynamodb's protocol

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    ttl = NumberAttribute(null=True)  # epoch seconds; the table's TTL attribute

    @classmethod
    def _get_connection(cls) -> Any:  # pynamodb's private hook: its return type is not public
        """Share one botocore client across every item type (see ``connection.py``)."""
        from chalicelib.core.dynamo.connection import shared_connection

        table_conn = super()._get_connection()
        shared = shared_connection()
        if table_conn.connection._client is not shared.client:
            table_conn.connection._client = shared.client
        return table_conn


def reset_connections() -> None:
    """Forget cached connections (tests call this after pointing settings at another endpoint)."""
    from chalicelib.core.dynamo.connection import reset_shared_connection

    reset_shared_connection()
    pending: list[type[Item]] = [Item]
    while pending:
        model = pending.pop()
        model._connection = None
        pending.extend(model.__subclasses__())
