"""Birthday benefits: issued in the member's birthday month (Asia/Shanghai) by an idempotent scheduled job.

How members are found (never a Scan)
    Setting a birthday (``members.update_profile``) also writes the profile's ``gsi2`` keys:
    ``gsi2pk = BDAY#<MM>#<shard>`` and ``gsi2sk = Y<year of the last birthday grant, 0000 at first>#<customer id>``.
    The month's members are spread over ``SHARDS`` index partitions (a profile write is also an index write, and
    a twelfth of all members on one index key would be a hot key at promotion peaks). The job queries, for each
    shard of the current month, ``gsi2sk < "Y<this year>"``: exactly the members not served yet this year. On the
    1st of a month that is everyone born in it; on other days, only members who set their birthday since.

Exactly once a year
    Per member, ONE TransactWriteItems: the marker ``H#BDAY#<year>`` put on condition that it does not exist (nor
    the old layout's ``M#BDAY#<year>``), this year's grant ``M#BDAYNOW`` for the zone, the
    vouchers of every active ``birthday`` benefit of the member's tier, and the profile's ``gsi2sk`` moved to
    ``Y<year>#...`` (conditioned on the birthday still being the one the index showed and on the profile not being
    merged away). A second run, an overlapping run, or a member who erased and set a birthday again finds the
    marker: nothing is issued twice (the index key is then moved on by itself). The index is eventually consistent;
    the marker, not the index, is what guarantees "once".

Running: hourly (``app.birthday_benefits_job``), so a backlog larger than one invocation drains within hours; each
run stops taking new members when the Lambda's remaining time runs low. Locally: ``python -m tools.run_job
birthday_benefits_job``. With no active birthday benefit nothing is written, so members of the month still get
the benefits an operator configures later in that month.
"""

from __future__ import annotations

import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

SHARDS = 8
WORKERS = 8
PAGE = 100
STOP_WHEN_MS_LEFT = 3000


def index_keys(customer_id: str, birthday: str) -> tuple[str, str]:
    """``gsi2`` keys of a profile whose birthday (``YYYY-MM-DD``) is set: not yet served in any year."""
    month = date.fromisoformat(birthday).month
    shard = zlib.crc32(customer_id.encode()) % SHARDS
    return f"BDAY#{month:02d}#{shard}", f"Y0000#{customer_id}"


def served_key(customer_id: str, year: int) -> str:
    return f"Y{year:04d}#{customer_id}"


def _pending(month: int, year: int, shard: int, start: dict[str, Any] | None) -> tuple[list[dict[str, Any]], Any]:
    from chalicelib.core.config import settings
    from chalicelib.core.dynamo.connection import shared_connection

    kwargs: dict[str, Any] = {
        "TableName": settings().table_name,
        "IndexName": "gsi2",
        "KeyConditionExpression": "gsi2pk = :p AND gsi2sk < :y",
        "ExpressionAttributeValues": {":p": {"S": f"BDAY#{month:02d}#{shard}"}, ":y": {"S": f"Y{year:04d}"}},
        "Limit": PAGE,
    }
    if start:
        kwargs["ExclusiveStartKey"] = start
    page = shared_connection().client.query(**kwargs)
    return page.get("Items", []), page.get("LastEvaluatedKey")


def issue_for(raw_profile: dict[str, Any], on: date) -> str:
    """Serve one member found through the index: ``issued``, ``already`` (marker exists) or ``skipped``."""
    from pynamodb.exceptions import UpdateError
    from pynamodb.expressions.update import Action

    from chalicelib.benefits import entitlements
    from chalicelib.benefits.models import BIRTHDAY_PREFIX, OLD_BIRTHDAY_PREFIX, GiftMarkerItem
    from chalicelib.core import notifications
    from chalicelib.core.dynamo import retry
    from chalicelib.core.dynamo.tx import Tx, TxCancelled
    from chalicelib.core.observability import logger
    from chalicelib.identity.public import PROFILE_SK, CustomerItem
    from chalicelib.points import public as points
    from chalicelib.points.public import POINTS_SK, MemberItems, PointsStateItem

    profile = CustomerItem.from_raw_data(raw_profile)
    birthday = profile.birthday
    if profile.merged_into or not birthday or date.fromisoformat(birthday).month != on.month:
        return "skipped"
    cid = profile.customer_id
    try:
        points_state: PointsStateItem | None = PointsStateItem.get(profile.pk, POINTS_SK)
    except PointsStateItem.DoesNotExist:
        points_state = None
    tier = points.held_tier(MemberItems(cid, profile, points_state, None), on)  # as the zone shows it today
    key = CustomerItem(pk=profile.pk, sk=PROFILE_SK)
    move_on: list[Action] = [CustomerItem.gsi2sk.set(served_key(cid, on.year))]
    still_this_member = CustomerItem.merged_into.does_not_exist() & (CustomerItem.birthday == birthday)
    def attempt(_n: int) -> str:
        tx = Tx()
        # no birthday benefit for this tier: no marker, only the index moves on
        marker_sk = f"{BIRTHDAY_PREFIX}{on.year:04d}"
        ids = entitlements.grant_items(tx, cid, tier.code, "birthday", marker_sk, "marker", year=on.year)
        if ids:  # the old layout's marker of the year must not exist either
            tx.check("marker", GiftMarkerItem, profile.pk, f"{OLD_BIRTHDAY_PREFIX}{on.year:04d}",
                     GiftMarkerItem.pk.does_not_exist())
        if ids:  # the greeting with its benefit, once a year like the grant (chalicelib/notifications delivers it)
            notifications.put_in(tx, cid, "birthday_greeting", {"vouchers": len(ids), "year": on.year})
        tx.update("profile", key, move_on, still_this_member)
        try:
            tx.commit()
        except TxCancelled as exc:
            if "marker" in exc.failed:  # served before (another run, or a birthday erased and set again)
                try:
                    key.update(actions=move_on, condition=still_this_member)
                except UpdateError:  # merged or changed meanwhile: the index only saves the next query
                    logger.info("birthday index not moved on", extra={"customer_id": cid})
                return "already"
            if "profile" in exc.failed:
                return "skipped"
            raise  # a conflict: tried again; anything else: the job's error
        logger.info("birthday benefits issued", extra={"customer_id": cid, "vouchers": len(ids), "year": on.year})
        return "issued"

    # Still racing after three tries: skipped today, served on the job's next run (the index has not moved on).
    return retry.until_committed_or(lambda _last: "skipped", attempt, limit=3, what="birthday benefits",
                                    customer_id=cid)


def run(context: Any = None, on: date | None = None) -> dict[str, Any]:
    """Serve every member whose birthday month is ``on``'s month and who was not served this year."""
    from chalicelib.benefits import definitions
    from chalicelib.core import clock
    from chalicelib.core.calendar import business_day
    from chalicelib.core.observability import logger

    on = on or business_day(clock.now())
    counts = {"issued": 0, "already": 0, "skipped": 0}
    if not any(b.active and b.trigger == "birthday" for b in definitions.definitions()):
        return {**counts, "month": f"{on.month:02d}", "note": "no active birthday benefit"}

    def time_left() -> bool:
        return context is None or context.get_remaining_time_in_millis() > STOP_WHEN_MS_LEFT

    complete = True
    with ThreadPoolExecutor(WORKERS) as pool:
        for shard in range(SHARDS):
            start = None
            while True:
                if not time_left():
                    complete = False
                    break
                items, start = _pending(on.month, on.year, shard, start)
                for outcome in pool.map(lambda raw: issue_for(raw, on), items):
                    counts[outcome] += 1
                if not start:
                    break
            if not complete:
                break
    result = {**counts, "month": f"{on.month:02d}", "year": on.year, "complete": complete}
    logger.info("birthday benefits job", extra=result)
    return result
