"""The campaign fan-out: a ``campaign_page`` message reads a page of a segment's members, queues the next page, then
reaches each member (``campaign_reach``); the campaign is done when every segment's pages are."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.core import clock
from chalicelib.core.observability import logger
from chalicelib.segments import campaign_reach, campaigns, queue, store
from chalicelib.segments.campaign_models import CampaignItem, campaign_pk

PAGE = 50  # members a message; a treated member's transaction holds at most 8 items (+ the points' own)


def _audience_page(segment_id: str, cursor: str | None) -> tuple[list[str], str | None]:
    kwargs: dict[str, Any] = {
        "TableName": store.table(), "Limit": PAGE, "ConsistentRead": True,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :c)", "ProjectionExpression": "customer_id",
        "ExpressionAttributeValues": {":pk": {"S": store.segment_pk(segment_id)}, ":c": {"S": store.MEMBER_PREFIX}}}
    if cursor:
        kwargs["ExclusiveStartKey"] = {"pk": {"S": store.segment_pk(segment_id)},
                                       "sk": {"S": store.MEMBER_PREFIX + cursor}}
    out = store.client().query(**kwargs)
    ids = [i["customer_id"]["S"] for i in out.get("Items", [])]
    return ids, ids[-1] if ids and "LastEvaluatedKey" in out else None


def handle_page(message: dict[str, Any]) -> None:
    """The ``campaign_page`` kind's handler: read a page of a segment, queue the next page, reach each member."""
    campaign = campaigns.load(str(message["campaign_id"]))
    page_no = int(message["page"])
    ids, cursor = _audience_page(str(message["segment_id"]), message.get("cursor"))
    if cursor:
        queue.send([{**message, "page": page_no + 1, "cursor": cursor}])  # the next page runs on another worker
    for customer_id in ids:
        campaign_reach.reach(campaign, customer_id)
    _page_done(campaign, str(message["segment_id"]), page_no, last=cursor is None)


def _page_done(campaign: CampaignItem, segment_id: str, page_no: int, *, last: bool) -> None:
    """Count the page once (a set of pages done); the campaign is done when every segment's pages are."""
    pk = campaign_pk(campaign.campaign_id)
    names = {"#d": f"done_{segment_id}"}
    values: dict[str, Any] = {":p": {"NS": [str(page_no)]}}
    expression = "ADD #d :p"
    if last:
        names["#t"] = f"total_{segment_id}"
        values[":t"] = {"N": str(page_no + 1)}
        expression += " SET #t = :t"
    out = store.client().update_item(TableName=store.table(), Key={"pk": {"S": pk}, "sk": {"S": "PAGES"}},
                                     UpdateExpression=expression, ExpressionAttributeNames=names,
                                     ExpressionAttributeValues=values, ReturnValues="ALL_NEW")
    pages = store.plain(out["Attributes"])
    finished = all(f"total_{s}" in pages and len(pages.get(f"done_{s}") or []) >= int(pages[f"total_{s}"])
                   for s in campaign.segment_ids)
    if finished:
        try:
            campaign.update(actions=[CampaignItem.status.set("done"), CampaignItem.done_at.set(clock.iso())],
                            condition=CampaignItem.status == "running")
            logger.info("campaign fan-out done", extra={"campaign_id": campaign.campaign_id})
        except UpdateError:
            pass  # already done


def exhausted(message: dict[str, Any]) -> None:
    """A page that ran out of retries: logged; relaunching is safe (markers), never a case."""
    logger.error("campaign page exhausted its retries", extra={"campaign_id": message.get("campaign_id"),
                                                               "page": message.get("page")})
