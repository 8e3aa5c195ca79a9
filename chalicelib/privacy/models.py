"""Items of the privacy area: the published policy, the member's privacy state and the consent receipts."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BinaryAttribute, BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

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
    open_export = UnicodeAttribute(null=True)  # the export being prepared (one at a time)
    deletion_requested_at = UnicodeAttribute(null=True)
    deletion_effective_at = UnicodeAttribute(null=True)  # core.personal_data.DELETION_FIELD: the cooling-off's end
    deletion_reason = UnicodeAttribute(null=True)
    deletion_channel = UnicodeAttribute(null=True)  # the member's channel, or hotline (an agent recorded it)
    deletion_recorded_by = UnicodeAttribute(null=True)  # the agent's staff ID, for a hotline request
    deletion_verification = UnicodeAttribute(null=True)  # how the agent verified the caller (their note)
    erased_at = UnicodeAttribute(null=True)  # the erasure's receipt (no personal data)
    overdue_case_at = UnicodeAttribute(null=True)  # when the overdue deletion became an agent's follow-up case
    gsi1pk = UnicodeAttribute(null=True)  # DELETION while a deletion is requested
    gsi1sk = UnicodeAttribute(null=True)  # <effective_at>#<customer_id>
    updated_at = UnicodeAttribute(null=True)


class ConsentReceiptItem(Item):
    """``CUST#<id>`` / ``H#CONSENT#<at>#<receipt_id>``: one consent change, never updated."""

    receipt_id = UnicodeAttribute()
    purpose = UnicodeAttribute()
    granted = BooleanAttribute()
    policy_version = UnicodeAttribute()
    channel = UnicodeAttribute(null=True)
    at = UnicodeAttribute()


EXPORT_PREFIX = "H#EXPORT#"
EXPORT_PART_PREFIX = "H#EXPORTPART#"


class ExportItem(Item):
    """``CUST#<id>`` / ``H#EXPORT#<export_id>``: one copy of the member's data asked for, and where it stands."""

    export_id = UnicodeAttribute()
    status = UnicodeAttribute()  # preparing | ready
    requested_at = UnicodeAttribute()
    ready_at = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    parts = NumberAttribute(null=True)


class ExportPartItem(Item):
    """``CUST#<id>`` / ``H#EXPORTPART#<export_id>#<n>``: a slice of the bundle (zlib-compressed JSON), under the item
    size limit; deployed stages would put the bundle in S3 behind a short-lived link instead."""

    data = BinaryAttribute(legacy_encoding=False)
