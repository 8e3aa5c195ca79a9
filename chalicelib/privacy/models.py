"""Items of the privacy area: the published policy, the member's privacy state and the consent receipts."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item

POLICY_PK = "CONFIG#PRIVACY"
POLICY_SK = "POLICY"
STATE_SK = "M#PRIVACY"
RECEIPT_PREFIX = "H#CONSENT#"


class PolicyItem(Item):
    """``CONFIG#PRIVACY`` / ``POLICY``: the privacy-policy version in force and every version published before it."""

    version = UnicodeAttribute()
    url = UnicodeAttribute()
    published_at = UnicodeAttribute()
    published_by = UnicodeAttribute(null=True)
    previous = ListAttribute[Any](of=UnicodeAttribute, default=list)


class PrivacyStateItem(Item):
    """``CUST#<id>`` / ``M#PRIVACY``: the consents the profile does not hold and the policy version accepted."""

    partner_sharing = BooleanAttribute(null=True)
    accepted_version = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class ConsentReceiptItem(Item):
    """``CUST#<id>`` / ``H#CONSENT#<at>#<receipt_id>``: one consent change, never updated."""

    receipt_id = UnicodeAttribute()
    purpose = UnicodeAttribute()
    granted = BooleanAttribute()
    policy_version = UnicodeAttribute()
    channel = UnicodeAttribute(null=True)
    at = UnicodeAttribute()
