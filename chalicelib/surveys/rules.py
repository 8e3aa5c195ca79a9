"""Pure rules of service surveys: the scale of each kind, its questions, what a score means, what an answer adds to
the supervisors' counters, and the summary's figures from those counters."""

from __future__ import annotations

import re
from typing import Any

SCALES = {"case": "csat", "appointment": "csat", "event": "nps"}
RANGES = {"csat": (1, 5), "nps": (0, 10)}
DEFAULT_POINTS = {"case": 20, "appointment": 20, "event": 30}
MAX_COMMENT = 500
DIMENSIONS = ("store", "agent", "event", "month")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

QUESTIONS: dict[str, list[dict[str, Any]]] = {
    "csat": [{"id": "score", "text": "您对本次服务满意吗？（1 非常不满意 - 5 非常满意）",
              "text_en": "How satisfied are you with this service? (1 very dissatisfied - 5 very satisfied)",
              "type": "score", "min": 1, "max": 5}],
    "nps": [{"id": "score", "text": "您有多大可能向朋友推荐我们？（0-10）",
             "text_en": "How likely are you to recommend us to a friend? (0-10)", "type": "score", "min": 0,
             "max": 10}],
}
FIRST_CONTACT = {"id": "solved_first_contact", "text": "问题是否在第一次联系时就解决了？",
                 "text_en": "Was your problem solved at the first contact?", "type": "boolean"}
COMMENT = {"id": "comment", "text": "还有什么想告诉我们的？（选填）", "text_en": "Anything else? (optional)",
           "type": "text", "max_length": MAX_COMMENT}


def questions(kind: str, english: bool = False) -> list[dict[str, Any]]:
    out = [*QUESTIONS[SCALES[kind]], *([FIRST_CONTACT] if kind == "case" else []), COMMENT]
    return [{**{k: v for k, v in q.items() if k != "text_en"}, "text": q["text_en"] if english else q["text"]}
            for q in out]


def score_issue(scale: str, score: int) -> str | None:
    low, high = RANGES[scale]
    return None if low <= score <= high else f"must be between {low} and {high} on the {scale} scale"


def comment_issue(comment: str | None) -> str | None:
    if comment is None:
        return None
    if len(comment) > MAX_COMMENT:
        return f"must be at most {MAX_COMMENT} characters"
    if _CONTROL.search(comment):
        return "must not contain control characters"
    return None


def is_detractor(scale: str, score: int) -> bool:
    """CSAT 1-2, NPS 0-6: the member is called back."""
    return score <= (2 if scale == "csat" else 6)


def answer_counters(scale: str, score: int, solved_first_contact: bool | None, callback: bool) -> dict[str, int]:
    """What one answer adds to its groups' counters (short names: the summary reads many items)."""
    out = {"n": 1}
    if scale == "csat":
        out.update({"cn": 1, "cs": score, "c45": int(score >= 4)})
    else:
        out.update({"pn": 1, "pp": int(score >= 9), "pd": int(score <= 6)})
    if solved_first_contact is not None:
        out.update({"fn": 1, "fy": int(solved_first_contact)})
    if callback:
        out["cbo"] = 1
    return out


COUNTERS = ("i", "n", "cn", "cs", "c45", "pn", "pp", "pd", "fn", "fy", "cbo", "cbc", "cbs")


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def figures(group: str, c: dict[str, int]) -> dict[str, Any]:
    """A group's figures from its summed counters."""
    return {
        "group": group,
        "issued": c.get("i", 0),
        "responses": c.get("n", 0),
        "response_rate": _ratio(c.get("n", 0), c.get("i", 0)),
        "csat": {"responses": c.get("cn", 0), "average": _ratio(c.get("cs", 0), c.get("cn", 0)),
                 "satisfied_rate": _ratio(c.get("c45", 0), c.get("cn", 0))},
        "nps": {"responses": c.get("pn", 0),
                "score": round(100 * (c.get("pp", 0) - c.get("pd", 0)) / c["pn"], 2) if c.get("pn") else None,
                "promoters": c.get("pp", 0), "detractors": c.get("pd", 0)},
        "first_contact_resolution_rate": _ratio(c.get("fy", 0), c.get("fn", 0)),
        "callbacks": {"opened": c.get("cbo", 0), "closed": c.get("cbc", 0), "closed_in_sla": c.get("cbs", 0)},
    }
