"""PynamoDB models of follow-up cases and member notifications (same table and connection as ``models.py``).

Keys (all in the one application table):

======================================  ====================================  =========================================
item                                    pk / sk                               index keys
======================================  ====================================  =========================================
follow-up case of a transaction         ``CUST#<id>`` / ``CASE#<txn_id>``     gsi2: ``FOLLOWUP#<status>`` /
                                                                              ``<99 - tier rank>#<opened_at>#<case_id>``
notification to a member                ``CUST#<id>`` / ``N#<at>#<id>``       -
======================================  ====================================  =========================================

A case sits in the member's partition beside the transaction it follows (``TXN#<txn_id>``) and the profile
(``M#PROFILE``), so the case page is one BatchGetItem of three keys, and the member's 360 view finds the cases
with a Query on the ``CASE#`` prefix. Its sort key is the transaction ID: at most one case per transaction,
whatever the number of deliveries (a conditional put). The case ID names both keys
(``fu.<customer_id>.<transaction_id>``), so an agent's action on a case is a direct, conditional write.

The agents' queue is the ``gsi2`` partition of a status; its sort key puts the highest tier first (ranks are
small integers, stored as ``99 - rank``), then the oldest.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item

CASE_PREFIX = "CASE#"
QUEUE_PREFIX = "FOLLOWUP#"


class FollowUpCaseItem(Item):
    """``CUST#<id>`` / ``CASE#<transaction_id>``: a transaction that ran out of retries, in front of a person.

    ``status``: open -> claimed -> resolved. ``attempts`` is the transaction's attempt list as it was when the case
    opened, plus the hand-over itself (the page reads the live list from the transaction). ``actions`` is the
    audit trail: ``{"at", "by", "action", ...}`` for every agent action (and the system's), appended atomically.
    """

    case_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    transaction_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    reference = UnicodeAttribute(null=True)
    message = JSONAttribute(null=True)  # the retry message as it reached the follow-up queue (to redo the work)
    status = UnicodeAttribute()  # open | claimed | resolved
    tier_code = UnicodeAttribute(null=True)
    tier_rank = NumberAttribute(default=0)
    opened_at = UnicodeAttribute()
    respond_by = UnicodeAttribute()
    close_by = UnicodeAttribute()
    failed_at = UnicodeAttribute(null=True)  # when the transaction was first accepted for retry
    receive_count = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    attempts = ListAttribute[Any](null=True)
    # For the queue's rows (one Query, nothing else read): the member number, what failed (``cases.subject_of``)
    # and how many attempts failed, as they were when the case opened (agent retries add theirs).
    member_no = UnicodeAttribute(null=True)
    subject = JSONAttribute(null=True)
    attempt_count = NumberAttribute(null=True)
    claimed_by = UnicodeAttribute(null=True)
    claimed_at = UnicodeAttribute(null=True)
    first_response_at = UnicodeAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    resolution = UnicodeAttribute(null=True)  # completed_manually | refunded | cancelled | completed_by_retry
    resolution_note = UnicodeAttribute(null=True)
    notes = ListAttribute[Any](null=True)  # [{"at", "by", "text"}]
    actions = ListAttribute[Any](null=True)  # [{"at", "by", "action", ...}]
    updated_at = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()


