"""The privacy policy in force: what members accept, published by operators (``PUT /v1/admin/privacy/policy``).

Read on ``GET /v1/me`` for every member (``needs_acceptance``), so it is cached in-process (``core.table_cache``, at
most 5 s stale). Until an operator publishes one, ``DEFAULT`` is in force.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist

from chalicelib.core import clock
from chalicelib.core.dynamo.table_cache import TableCache
from chalicelib.core.errors import AppError
from chalicelib.privacy.models import POLICY_PK, POLICY_SK, PolicyItem

logger = logging.getLogger(__name__)


class Policy(NamedTuple):
    version: str
    url: str
    published_at: str
    previous: tuple[str, ...] = ()

    def view(self) -> dict[str, Any]:
        return {"version": self.version, "published_at": self.published_at, "url": self.url}


DEFAULT = Policy("2026-01", "https://m.example.com/privacy/2026-01", "2026-01-01T00:00:00.000+08:00")


def _load() -> Policy:
    try:
        item = PolicyItem.get(POLICY_PK, POLICY_SK)
    except DoesNotExist:
        return DEFAULT
    return Policy(item.version, item.url, item.published_at, tuple(item.previous or ()))


_cache: TableCache[Policy] = TableCache(_load, 5)


def current() -> Policy:
    return _cache.get()


def check_version(version: str) -> None:
    """The version a member was shown must be the one in force: an earlier one is 409 ``policy_version_outdated``,
    one never published 400 ``validation_error`` (nothing is stored either way)."""
    policy = _load()  # not the cache: a member answering the version just published must not be told it is unknown
    if version == policy.version:
        return
    if version in policy.previous:
        raise AppError("policy_version_outdated", details=[{"field": "policy_version",
                                                             "issue": f"version {policy.version} is in force",
                                                             "current": policy.version}])
    raise AppError("validation_error", details=[{"field": "policy_version", "issue": "is not a published version"}])


def publish(version: str, url: str, staff_id: str) -> dict[str, Any]:
    """Put ``version`` in force; members who accepted an earlier one are asked to accept it (``needs_acceptance``)."""
    policy = _load()
    if version == policy.version or version in policy.previous:
        raise AppError("validation_error", details=[{"field": "version", "issue": "was already published"}])
    previous = [*policy.previous, policy.version]
    PolicyItem(pk=POLICY_PK, sk=POLICY_SK, version=version, url=url, published_at=clock.iso(),
               published_by=staff_id, previous=previous).save(add_version_condition=False)
    _cache.clear()
    logger.info("privacy policy published", extra={"staff_id": staff_id, "version": version})
    return current().view()
