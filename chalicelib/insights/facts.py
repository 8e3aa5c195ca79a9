"""What each stream record counts (pure): the table's items -> ``Fact``s for the day and month counters.

The table's stream carries new images only, so a fact is named by the item and the state it reached (``ident``):
the counter moves once per (item, state), whether the record is delivered twice or the item is written again in the
same state later (an attended appointment whose survey is answered). ``counting.py`` makes that exact.

- ``L#`` ledger entry, INSERT: ``pts_<issued|redeemed|expired|reversed|moved>``, ``pts_issued_<kind>``, ``entries``;
  daily check-ins (``checkins``, ``checkin_members``); active.
- ``M#PROFILE``, INSERT: ``enrolled`` (and the programme's total).
- ``V#`` voucher, INSERT / status ``used``: ``benefit_claimed`` / ``benefit_used``, by tier.
- ``RDM#`` redemption, INSERT: ``redemptions``; active.
- ``M#PLUS`` of kind ``trial``: ``plus_trials`` (once per trial start).
- ``H#PLUSORDER#`` (a Plus order) status ``paid`` / ``refunded``: ``plus_started`` or ``plus_renewed``
  (``counting``; with ``plus_trial_converted`` when a member's first paid order follows a trial) / ``plus_refunded``.
- ``H#APPT#`` INSERT / ``checked_in`` / ``no_show``: ``appt_booked`` (active) / ``appt_attended`` / ``appt_no_show``.
- ``REG#`` (an event registration) INSERT / ``checked_in``: ``event_registered`` (active) / ``event_checked_in``.
- ``H#SURVEY#`` (a service survey) ``answered``: ``csat_answers`` / ``csat_satisfied`` (4-5) or ``nps_answers`` /
  ``nps_promoters`` (9-10) / ``nps_detractors`` (0-6), in the answer's month, once per survey ID (a merge moves the
  survey to another partition: still one answer); ``withdrawn`` after an answer (its service voided): the same
  counters taken back, only if the answer was counted (``requires``).

"Active" (a member who earned, spent, checked in, booked, registered or redeemed) is counted once per member per
day and once per member per month (``scope``), by tier. Lapsed Plus memberships have no record (time passes): the
nightly job counts them (``nightly.py``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from chalicelib.insights import rules, store

PLUS_ORDER_PREFIXES = ("H#PLUSORDER#", "M#PLUSORDER#")  # the second: where an earlier version kept them
ACTIVE_KINDS = frozenset({"purchase", "check_in", "event", "survey", "claim", "redemption", "campaign"})


class Fact(NamedTuple):
    ident: str  # what is counted once (its marker)
    day: str  # the Shanghai day it happened
    adds: dict[str, int]  # counters ADDed
    scope: str = "both"  # "day" | "month" | "both": which items the counters go to
    tiered: tuple[str, ...] = ()  # counters that also count under the member's tier (``<name>_t_<tier>``)
    customer_id: str | None = None
    requires: str | None = None  # a fact whose marker must exist (what this one takes back)


class PlusPaid(NamedTuple):
    """A paid Plus order: a start (the member's first paid order) or a renewal, decided when counted."""

    ident: str
    day: str
    customer_id: str


def _s(image: dict[str, Any], name: str) -> str | None:
    return (image.get(name) or {}).get("S")


def _n(image: dict[str, Any], name: str) -> int:
    return int(float((image.get(name) or {}).get("N", "0")))


def active(customer_id: str, day: str) -> list[Fact]:
    """The member was active that day: once a day and once a month, by tier."""
    month = day[:7]
    return [Fact(f"active|{day}|{customer_id}", day, {"active": 1}, "day", ("active",), customer_id),
            Fact(f"active|{month}|{customer_id}", day, {"active": 1}, "month", ("active",), customer_id)]


def survey_counts(scale: str | None, score: int) -> dict[str, int]:
    """What one survey answer adds (the surveys area's scales: CSAT 1-5, NPS 0-10)."""
    if scale == "csat":
        return {"csat_answers": 1, "csat_satisfied": int(score >= 4)}
    if scale == "nps":
        return {"nps_answers": 1, "nps_promoters": int(score >= 9), "nps_detractors": int(score <= 6)}
    return {}


def _survey(image: dict[str, Any], cid: str) -> list[Fact | PlusPaid]:
    status, answered_at, survey_id = _s(image, "status"), _s(image, "answered_at"), _s(image, "survey_id")
    if "score" not in image or not answered_at or not survey_id or status not in ("answered", "withdrawn"):
        return []
    adds = survey_counts(_s(image, "scale"), _n(image, "score"))
    answered = f"survey|{survey_id}|answered"
    on = rules.day_of(answered_at)
    if status == "answered":
        return [Fact(answered, on, adds, "month", customer_id=cid)]
    return [Fact(f"survey|{survey_id}|withdrawn", on, {k: -v for k, v in adds.items()}, "month", customer_id=cid,
                 requires=answered)]


def of_record(event: str, keys: dict[str, Any], image: dict[str, Any], fallback_day: str) -> list[Fact | PlusPaid]:
    """The facts a stream record counts (``fallback_day``: the record's own day, for an item without a time)."""
    if event == "REMOVE" or not keys:
        return []
    pk, sk = str(keys["pk"]["S"]), str(keys["sk"]["S"])
    ident = f"{pk}|{sk}"
    cid = store.customer_of(pk) or _s(image, "customer_id")
    if cid is None:
        return []

    def day(*names: str) -> str:
        for name in names:
            value = _s(image, name)
            if value:
                return rules.day_of(value)
        return fallback_day

    if sk.startswith("L#") and event == "INSERT":
        kind, delta, on = _s(image, "kind") or "", _n(image, "delta"), day("created_at")
        figure, points = rules.amount(kind, delta)
        adds = {f"pts_{figure}": points, "entries": 1}
        if figure == "issued":
            adds[f"pts_issued_{kind}"] = points
        facts: list[Fact | PlusPaid] = [Fact(ident, on, adds, customer_id=cid)]
        if kind == "check_in":
            facts += [Fact(f"checkin|{on}|{cid}", on, {"checkins": 1}, "day", customer_id=cid),
                      Fact(f"checkin|{on[:7]}|{cid}", on, {"checkin_members": 1}, "month", customer_id=cid)]
        if kind in ACTIVE_KINDS:
            facts += active(cid, on)
        return facts
    if sk == "M#PROFILE":
        if event != "INSERT" or _s(image, "merged_into"):
            return []
        return [Fact(ident, day("created_at"), {"enrolled": 1}, customer_id=cid)]
    if sk.startswith("V#"):
        found: list[Fact | PlusPaid] = []
        if event == "INSERT":
            found.append(Fact(ident, day("created_at"), {"benefit_claimed": 1}, tiered=("benefit_claimed",),
                              customer_id=cid))
        if _s(image, "status") == "used":
            found.append(Fact(f"{ident}|used", day("used_at"), {"benefit_used": 1}, tiered=("benefit_used",),
                              customer_id=cid))
        return found
    if sk.startswith("RDM#") and event == "INSERT":
        on = day("created_at")
        return [Fact(ident, on, {"redemptions": 1}, customer_id=cid), *active(cid, on)]
    if sk == "M#PLUS":
        started = _s(image, "started_at")
        if _s(image, "kind") != "trial" or not started:
            return []
        return [Fact(f"{ident}|trial|{started}", rules.day_of(started), {"plus_trials": 1}, customer_id=cid)]
    if sk.startswith(PLUS_ORDER_PREFIXES):
        status = _s(image, "status")
        if status == "paid":
            return [PlusPaid(f"{ident}|paid", day("paid_at", "updated_at"), cid)]
        if status == "refunded":
            return [Fact(f"{ident}|refunded", day("refunded_at", "updated_at"), {"plus_refunded": 1},
                         customer_id=cid)]
        return []
    if sk.startswith("H#APPT#"):
        status = _s(image, "status")
        if status == "checked_in":
            return [Fact(f"{ident}|attended", day("checked_in_at", "updated_at"), {"appt_attended": 1},
                         customer_id=cid)]
        if status == "no_show":
            return [Fact(f"{ident}|no_show", day("updated_at"), {"appt_no_show": 1}, customer_id=cid)]
        if event == "INSERT":
            on = day("created_at")
            return [Fact(ident, on, {"appt_booked": 1}, customer_id=cid), *active(cid, on)]
        return []
    if sk.startswith("H#SURVEY#"):
        return _survey(image, cid)
    if sk.startswith("REG#") and pk.startswith("EV#"):
        status = _s(image, "status")
        if status == "checked_in":
            return [Fact(f"{ident}|checked_in", day("checked_in_at", "updated_at"), {"event_checked_in": 1},
                         customer_id=cid)]
        if event == "INSERT" and status in ("registered", "waitlisted"):
            on = day("created_at")
            return [Fact(ident, on, {"event_registered": 1}, customer_id=cid), *active(cid, on)]
    return []
