"""The follow-up queue's front door: what other areas may use of it (the rest of the folder is its own).

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.lazy import front_door

if TYPE_CHECKING:
    from chalicelib.followups.case_resolution import (
        Resolution as Resolution,
    )
    from chalicelib.followups.cases import (
        CLOSE_WITHIN as CLOSE_WITHIN,
    )
    from chalicelib.followups.cases import (
        RESPOND_WITHIN as RESPOND_WITHIN,
    )
    from chalicelib.followups.cases import (
        case_id_for as case_id_for,
    )
    from chalicelib.followups.cases import (
        case_key as case_key,
    )
    from chalicelib.followups.cases import (
        queue_sort_key as queue_sort_key,
    )
    from chalicelib.followups.cases import (
        resolved_count as resolved_count,
    )
    from chalicelib.followups.examples import (
        SUMMARY as SUMMARY,
    )
    from chalicelib.followups.http.agent_schemas import (
        CaseSummary as CaseSummary,
    )
    from chalicelib.followups.models import (
        QUEUE_PREFIX as QUEUE_PREFIX,
    )
    from chalicelib.followups.models import (
        FollowUpCaseItem as FollowUpCaseItem,
    )

# name -> (its home module in this area, what it is for)
NAMES = {
    "Resolution": ("case_resolution",
        "What resolving a case writes besides the kind's own items, handed to the kind's compensator."),
    "case_id_for": ("cases", "The case id of a transaction of a member."),
    "case_key": ("cases", "The key of a member's case item."),
    "CLOSE_WITHIN": ("cases", "How long a case may stay open before it is overdue."),
    "queue_sort_key": ("cases", "Where a case sorts in the agents' queue (priority, then age)."),
    "resolved_count": ("cases", "How many of a member's cases were resolved in a window: one Query."),
    "RESPOND_WITHIN": ("cases", "How long a case may wait for its first response."),
    "SUMMARY": ("examples", "An example case summary, for the API document."),
    "FollowUpCaseItem": ("models",
        "A transaction that ran out of retries, in front of a person (``CUST#<id>`` / ``CASE#<txn>``)."),
    "QUEUE_PREFIX": ("models", "The prefix of the open-case queue's index key."),
    "CaseSummary": ("http.agent_schemas", "The response model of a case in a list."),
}

if not TYPE_CHECKING:  # a name is imported from its home on first use: a door costs nothing until then
    __getattr__ = front_door(__name__, NAMES)
