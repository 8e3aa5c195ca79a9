"""The partners area's items in the personal-data registry (``core/personal_data.py``).

A partner never holds a member's name, phone or balance: what it learns is a tier and a token. What is kept here
under a customer ID is accounting (earnings at a partner, its redemption requests); the member's own view of it is
the ledger's entries of kind ``partner`` (points area), the earnings (``gsi2``) and the redemption requests
(``gsi1``), each under an index partition named by the customer ID.
"""

from chalicelib.core.personal_data import ACCOUNTING, Kind
from chalicelib.partners.models import EARNINGS_INDEX_PREFIX, MEMBER_INDEX_PREFIX

REGISTRY = {
    "PartnerItem": Kind(none="an alliance merchant's configuration"),
    "PartnerKeyItem": Kind(none="a partner's API key (a digest)"),
    "RedemptionOrderItem": Kind(none="a partner's order number, naming a redemption (no member in it)"),
    "StatementItem": Kind(none="a partner's month of counters (no member in it)"),
    "EarningItem": Kind(
        where=(f"gsi2:{EARNINGS_INDEX_PREFIX}",),
        export="partner_id order_no amount_fen points created_at refunded_at",
        keep="amount_fen order_no points", reason=ACCOUNTING,
        plain="partner_id customer_id month created_at refunded_at refund_month gsi2pk gsi2sk"),
    "PartnerRedemptionItem": Kind(
        where=(f"gsi1:{MEMBER_INDEX_PREFIX}",),
        export="redemption_id partner_name order_no points status created_at decided_at confirmed_by",
        keep="order_no points status", reason=ACCOUNTING,
        plain="redemption_id partner_id partner_name customer_id created_at expires_at code_hash otp_attempts "
              "decided_at confirmed_by gsi1pk gsi1sk"),
}

