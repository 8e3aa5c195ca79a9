"""Pure rules of segments: the facts as rules name them (from a member's stored facts, as of a day), RFM scores and
groups, the lifecycle stage, and the segment rule language (validation with the path of each error, evaluation
with each condition's actual value, for ``why``).

Stored facts are dates and counters (``last_order_on``, ``tier_stats`` months...); the ``days_since_*`` facts are
computed as of the day of evaluation, so time moves them without a write (the nightly rebuild re-evaluates).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple

MAX_DEPTH = 5
OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "between", "has")
NUMBER, TEXT, TEXTS, FLAG = "number", "text", "texts", "flag"

# fact -> its type; ``None``-valued facts (never ordered...) match no comparison but ``ne``
FACTS: dict[str, str] = {
    "days_since_last_order": NUMBER, "orders_12m": NUMBER, "spend_12m_fen": NUMBER,
    "days_since_last_visit": NUMBER, "days_since_last_check_in": NUMBER, "points_balance": NUMBER,
    "points_expiring_30d": NUMBER, "tier": TEXT, "plus_days_left": NUMBER, "tags": TEXTS,
    "consents.marketing": FLAG, "consents.profiling": FLAG, "days_since_enrolment": NUMBER,
    "rfm_r": NUMBER, "rfm_f": NUMBER, "rfm_m": NUMBER, "rfm_group": TEXT, "lifecycle": TEXT,
}
PROFILING_FACTS = frozenset({"tags"})  # match only members with the profiling consent
OPS_BY_TYPE: dict[str, tuple[str, ...]] = {
    NUMBER: ("eq", "ne", "lt", "lte", "gt", "gte", "in", "between"),
    TEXT: ("eq", "ne", "in"),
    TEXTS: ("has",),
    FLAG: ("eq", "ne"),
}
RFM_GROUPS = ("champions", "loyal", "potential", "at_risk", "dormant", "lost")
LIFECYCLE = ("new", "active", "at_risk", "dormant", "churned")


class Lifecycle(NamedTuple):
    """Thresholds in days (the operator's): new while enrolled <= ``new_days``; then by days since the last
    activity (order, visit or check-in): active <= ``active_days`` < at_risk <= ``at_risk_days`` < dormant <=
    ``dormant_days`` < churned."""

    new_days: int = 30
    active_days: int = 90
    at_risk_days: int = 180
    dormant_days: int = 365


class Cutoffs(NamedTuple):
    """Quintile boundaries (4 ascending values each) of days since the last order, orders and spend in 12 months."""

    recency: tuple[float, ...] = (14, 30, 90, 180)
    frequency: tuple[float, ...] = (1, 2, 4, 8)
    monetary: tuple[float, ...] = (10_000, 50_000, 150_000, 500_000)


DEFAULT_CUTOFFS, DEFAULT_LIFECYCLE = Cutoffs(), Lifecycle()

# fact -> the values it can take, where that set is fixed (``tier`` follows the operator's tiers: not listed)
FIXED_VALUES: dict[str, tuple[Any, ...]] = {"rfm_group": RFM_GROUPS, "lifecycle": LIFECYCLE,
                                            "consents.marketing": (True, False), "consents.profiling": (True, False)}


def catalogue() -> dict[str, Any]:
    """The rule language for a builder: each fact's type, its operators and its fixed values."""
    return {"facts": [{"fact": fact, "type": kind, "ops": list(OPS_BY_TYPE[kind]),
                       "values": list(FIXED_VALUES[fact]) if fact in FIXED_VALUES else None}
                      for fact, kind in FACTS.items()],
            "max_depth": MAX_DEPTH}


# ------------------------------------------------------------------------------------------------ facts


def _days(since: str | None, today: date) -> int | None:
    return None if not since else (today - date.fromisoformat(since[:10])).days


def last_12_months(today: date) -> set[str]:
    y, m = today.year, today.month
    out = set()
    for _ in range(12):
        out.add(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out


def quintile(value: float, cutoffs: Sequence[float]) -> int:
    """1..5: how many boundaries the value reaches, plus one."""
    return 1 + bisect_right(list(cutoffs), value) if len(cutoffs) == 4 else 3


def rfm_scores(days_since_order: int | None, orders: int, spend: int, cut: Cutoffs) -> tuple[int, int, int]:
    """R, F, M 1-5 (5 best): recent orders score high, frequent and large ones too; no order scores 1."""
    r = 1 if days_since_order is None else 6 - quintile(days_since_order, cut.recency)
    f = quintile(orders, cut.frequency) if orders else 1
    m = quintile(spend, cut.monetary) if spend else 1
    return r, f, m


def rfm_group(r: int, f: int, m: int) -> str:
    if r >= 4 and f >= 4 and m >= 4:
        return "champions"
    if r >= 3 and f >= 3:
        return "loyal"
    if r >= 4:
        return "potential"
    if r <= 2 and f >= 3:
        return "at_risk"
    if r == 2 or (r == 3 and f <= 2):
        return "dormant"
    return "lost"


def lifecycle(days_enrolled: int | None, days_since_activity: int | None, t: Lifecycle) -> str:
    """The stage; enrolment counts as the first activity (a member who never came back ages from it)."""
    if days_enrolled is not None and days_enrolled <= t.new_days:
        return "new"
    idle = days_since_activity if days_since_activity is not None else days_enrolled
    if idle is None or idle <= t.active_days:
        return "active"
    if idle <= t.at_risk_days:
        return "at_risk"
    return "dormant" if idle <= t.dormant_days else "churned"


def facts_of(stored: Mapping[str, Any], today: date, cut: Cutoffs = DEFAULT_CUTOFFS,
             t: Lifecycle = DEFAULT_LIFECYCLE) -> dict[str, Any]:
    """The facts rules name, from a member's stored facts (``FactsItem``'s attributes) as of ``today``."""
    months = last_12_months(today)
    stats = stored.get("tier_stats") or {}
    orders = int(sum(int(v.get("o", 0)) for k, v in stats.items() if k in months))
    spend = int(sum(int(v.get("s", 0)) for k, v in stats.items() if k in months))
    since_order = _days(stored.get("last_order_on"), today)
    since_visit = _days(stored.get("last_visit_on"), today)
    since_check_in = _days(stored.get("last_check_in_on"), today)
    buckets = stored.get("buckets") or {}
    expiring = int(sum(int(p) for d, p in buckets.items() if 0 <= (date.fromisoformat(d) - today).days <= 30))
    plus = stored.get("plus_expires_on")
    plus_left = max(0, (date.fromisoformat(plus[:10]) - today).days) if plus else 0
    r, f, m = rfm_scores(since_order, orders, spend, cut)
    activity = [d for d in (since_order, since_visit, since_check_in) if d is not None]
    consents = stored.get("consents") or {}
    enrolled = _days(stored.get("enrolled_on"), today)
    return {
        "days_since_last_order": since_order, "orders_12m": orders, "spend_12m_fen": spend,
        "days_since_last_visit": since_visit, "days_since_last_check_in": since_check_in,
        "points_balance": int(stored.get("points_balance") or 0), "points_expiring_30d": expiring,
        "tier": stored.get("tier") or "base", "plus_days_left": plus_left,
        "tags": sorted(stored.get("tags") or []),
        "consents.marketing": bool(consents.get("marketing")), "consents.profiling": bool(consents.get("profiling")),
        "days_since_enrolment": enrolled, "rfm_r": r, "rfm_f": f, "rfm_m": m, "rfm_group": rfm_group(r, f, m),
        "lifecycle": lifecycle(enrolled, min(activity) if activity else None, t),
    }


# ------------------------------------------------------------------------------------------------ rules


class RuleError(ValueError):
    """A rule that cannot be evaluated: ``issues`` are ``{"field": "rule.all[0].op", "issue": ...}``."""

    def __init__(self, issues: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{i['field']}: {i['issue']}" for i in issues))
        self.issues = issues


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _value_ok(kind: str, op: str, value: Any) -> bool:
    one = {NUMBER: _is_number, TEXT: lambda v: isinstance(v, str), TEXTS: lambda v: isinstance(v, str),
           FLAG: lambda v: isinstance(v, bool)}[kind]
    if op == "in":
        return isinstance(value, list) and 0 < len(value) <= 100 and all(one(v) for v in value)
    if op == "between":
        return isinstance(value, list) and len(value) == 2 and all(one(v) for v in value) and value[0] <= value[1]
    return bool(one(value))


def validate(rule: Any, path: str = "rule", depth: int = 1) -> list[dict[str, str]]:
    """Every problem of a rule, each with its path (empty: the rule is sound)."""
    if depth > MAX_DEPTH:
        return [{"field": path, "issue": f"nested deeper than {MAX_DEPTH}"}]
    if not isinstance(rule, dict):
        return [{"field": path, "issue": "must be an object"}]
    if "all" in rule or "any" in rule:
        key = "all" if "all" in rule else "any"
        if set(rule) != {key}:
            return [{"field": path, "issue": "a group has exactly one key: all or any"}]
        children = rule[key]
        if not isinstance(children, list) or not 1 <= len(children) <= 50:
            return [{"field": f"{path}.{key}", "issue": "must be a list of 1 to 50 rules"}]
        return [i for n, c in enumerate(children) for i in validate(c, f"{path}.{key}[{n}]", depth + 1)]
    if set(rule) != {"fact", "op", "value"}:
        return [{"field": path, "issue": "a condition is {fact, op, value}"}]
    fact, op, value = rule["fact"], rule["op"], rule["value"]
    if fact not in FACTS:
        return [{"field": f"{path}.fact", "issue": f"unknown fact {str(fact)[:40]!r}"}]
    if op not in OPS:
        return [{"field": f"{path}.op", "issue": f"unknown operator {str(op)[:20]!r}"}]
    kind = FACTS[fact]
    if op not in OPS_BY_TYPE[kind]:
        return [{"field": f"{path}.op", "issue": f"{op} does not apply to {fact} ({kind})"}]
    if not _value_ok(kind, op, value):
        return [{"field": f"{path}.value", "issue": f"wrong value for {op} on {fact} ({kind})"}]
    return []


def checked(rule: Any) -> dict[str, Any]:
    issues = validate(rule)
    if issues:
        raise RuleError(issues)
    return dict(rule)


def condition_met(cond: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    fact, op, value = cond["fact"], cond["op"], cond["value"]
    if fact in PROFILING_FACTS and not facts.get("consents.profiling"):
        return False
    actual = facts.get(fact)
    if op == "has":
        return isinstance(actual, list) and bool(value in actual)
    if actual is None:
        return bool(op == "ne")
    if op == "eq":
        return bool(actual == value)
    if op == "ne":
        return bool(actual != value)
    if op == "in":
        return bool(actual in value)
    if op == "between":
        return bool(value[0] <= actual <= value[1])
    return bool({"lt": actual < value, "lte": actual <= value, "gt": actual > value, "gte": actual >= value}[op])


def matches(rule: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    if "all" in rule:
        return all(matches(c, facts) for c in rule["all"])
    if "any" in rule:
        return any(matches(c, facts) for c in rule["any"])
    return condition_met(rule, facts)


def conditions(rule: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if "all" in rule or "any" in rule:
        return [c for child in rule.get("all", rule.get("any", [])) for c in conditions(child)]
    return [rule]


def explain(rule: Mapping[str, Any], facts: Mapping[str, Any]) -> dict[str, Any]:
    """``why``: whether the member matches, the facts the rule reads and each condition with its actual value."""
    conds = conditions(rule)
    used = {c["fact"] for c in conds}
    return {
        "in_segment": matches(rule, facts),
        "facts": {f: facts.get(f) for f in sorted(used | ({"consents.profiling"} if used & PROFILING_FACTS
                                                          else set()))},
        "conditions": [{"fact": c["fact"], "op": c["op"], "value": c["value"], "actual": facts.get(c["fact"]),
                        "met": condition_met(c, facts)} for c in conds],
    }


def holdout(customer_id: str, campaign_id: str, percent: int) -> bool:
    """Whether the member is in the campaign's holdout: a stable draw (the same at every launch and retry)."""
    import hashlib

    digest = hashlib.sha256(f"{campaign_id}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10_000 < percent * 100


def coarse(fen: int) -> int:
    """Spend kept to two significant digits for the nightly distribution (bounded keys; quintiles need no more)."""
    if fen < 100:
        return fen
    digits = len(str(fen)) - 2
    return int((fen // 10**digits) * 10**digits)


def cutoffs_from_counts(counts: Mapping[int, int]) -> tuple[float, ...]:
    """The 4 quintile boundaries of a distribution given as ``{value: how many}`` (empty: none)."""
    total = sum(counts.values())
    if not total:
        return ()
    out: list[float] = []
    seen, targets = 0, [total * q / 5 for q in (1, 2, 3, 4)]
    for value in sorted(counts):
        seen += counts[value]
        while targets and seen >= targets[0]:
            out.append(float(value))
            targets.pop(0)
    return tuple(out)
