"""The segments area's items in the personal-data registry (``core/personal_data.py``).

The facts describe the member (event tags, consents, dates of visits and orders): exported, and erased at erasure;
what stays (tier, balance, the segments' entries) is under the customer ID, a pseudonym then, and the erased profile's
stream record marks the facts ``gone``, so the member leaves every segment (``facts.update_of``). A segment's member
items (``SEG#<id>`` / ``C#<customer>``) are raw pairs of IDs, no model: they go with those exits.
"""

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
}
