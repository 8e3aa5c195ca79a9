"""The segments area's items in the personal-data registry (``core/personal_data.py``).

The facts describe the member (event tags, consents, dates of visits and orders): exported, and erased at erasure;
what stays (tier, balance, the segments' entries) is under the customer ID, a pseudonym then, and the erased profile's
stream record marks the facts ``gone``, so the member leaves every segment (``facts.update_of``). A segment's member
items (``SEG#<id>`` / ``C#<customer>``) are raw pairs of IDs, no model: they go with those exits.
"""

from typing import Any

from chalicelib.core.dynamo.batch import batch_get
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.core.dynamo.paging import query_all
from chalicelib.core.personal_data import Kind

STORE = "chalicelib.segments.store"
CAMPAIGNS = "chalicelib.segments.campaign_models"
REGISTRY = {
    f"{STORE}:FactsItem": Kind(
        where=("FACTS",),
        export="tier member_no enrolled_on consents tags points_balance last_check_in_on tier_stats plus_expires_on "
               "last_order_on last_visit_on segs",
        erase="member_no enrolled_on consents tags last_check_in_on tier_stats last_order_on last_visit_on",
        plain="customer_id ver segs gone tier points_balance plus_expires_on"),
    f"{CAMPAIGNS}:CampaignItem": Kind(none="an operator's campaign: its message, segments and counts"),
    f"{CAMPAIGNS}:CounterItem": Kind(none="a campaign's outcome counters"),
    # CAMP#<id> / R#<customer> (reached) and CONV#<customer>: which member a campaign reached, by pseudonymous ID
    f"{CAMPAIGNS}:ReachedItem": Kind(plain="customer_id outcome at"),
    f"{CAMPAIGNS}:CapItem": Kind(where=("H#CAMPCAP#",), plain="n"),
    f"{CAMPAIGNS}:MyCampaignItem": Kind(where=("H#CAMP#",), export="campaign_id group at",
                                        plain="campaign_id group at"),
    # CAMP#<id> / TASK#<customer>: the member on a campaign's call list, the agent's outcome and note about the call
    f"{CAMPAIGNS}:CallTaskItem": Kind(
        finder="chalicelib.segments.personal_data:call_tasks_of",
        export="campaign_name status created_at outcome done_at",
        erase="member_no note",
        plain="task_id campaign_id campaign_name customer_id tier status rev created_at claimed_by claimed_at "
              "claim_until outcome done_by done_at gsi1pk gsi1sk gsi2pk gsi2sk"),
    f"{CAMPAIGNS}:CallHolderItem": Kind(none="how many of a campaign's call tasks an agent holds (no member in it)"),
}


def call_tasks_of(customer_id: str) -> list[dict[str, Any]]:
    """The member's call tasks: one per campaign that reached them (their ``H#CAMP#`` items name the campaigns)."""
    from chalicelib.segments.campaign_models import MINE_PREFIX, TASK_PREFIX, campaign_pk

    mine = query_all(KeyConditionExpression="pk = :pk AND begins_with(sk, :m)",
                     ExpressionAttributeValues={":pk": {"S": customer_pk(customer_id)}, ":m": {"S": MINE_PREFIX}},
                     ProjectionExpression="campaign_id")
    keys = list(dict.fromkeys((campaign_pk(m["campaign_id"]["S"]), TASK_PREFIX + customer_id) for m in mine
                              if "campaign_id" in m))
    return [raw for start in range(0, len(keys), 100) for raw in batch_get(keys[start:start + 100]).values()]
