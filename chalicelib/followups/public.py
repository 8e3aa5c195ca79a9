"""The follow-up queue's front door: what other areas may use of it (the rest of the folder is its own).

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from chalicelib.followups import case_resolution, cases, examples, models, schemas

Resolution = case_resolution.Resolution
"""What resolving a case writes besides the kind's own items, handed to the kind's compensator."""

case_id_for = cases.case_id_for
"""The case id of a transaction of a member."""

case_key = cases.case_key
"""The key of a member's case item."""

CLOSE_WITHIN = cases.CLOSE_WITHIN
"""How long a case may stay open before it is overdue."""

queue_sort_key = cases.queue_sort_key
"""Where a case sorts in the agents' queue (priority, then age)."""

resolved_count = cases.resolved_count
"""How many of a member's cases were resolved in a window: one Query."""

RESPOND_WITHIN = cases.RESPOND_WITHIN
"""How long a case may wait for its first response."""

SUMMARY = examples.SUMMARY
"""An example case summary, for the API document."""

FollowUpCaseItem = models.FollowUpCaseItem
"""A transaction that ran out of retries, in front of a person (``CUST#<id>`` / ``CASE#<txn>``)."""

QUEUE_PREFIX = models.QUEUE_PREFIX
"""The prefix of the open-case queue's index key."""

CaseSummary = schemas.CaseSummary
"""The response model of a case in a list."""
