"""The surveys area's pure rules: each kind's scale and questions, which scores are off the scale, who is called
back, what an answer counts, and the figures a group's counters give."""

from __future__ import annotations

import pytest

from chalicelib.surveys import rules


def test_each_kind_asks_on_its_scale_and_only_a_case_asks_about_the_first_contact():
    assert [q["id"] for q in rules.questions("case")] == ["score", "solved_first_contact", "comment"]
    assert [q["id"] for q in rules.questions("appointment")] == ["score", "comment"]
    event = rules.questions("event", english=True)
    assert (event[0]["min"], event[0]["max"]) == (0, 10) and event[0]["text"].startswith("How likely")


@pytest.mark.parametrize(("scale", "score", "ok"), [("csat", 0, False), ("csat", 1, True), ("csat", 5, True),
                                                     ("csat", 6, False), ("nps", -1, False), ("nps", 0, True),
                                                     ("nps", 10, True), ("nps", 11, False)])
def test_scores_off_the_scale_are_refused(scale: str, score: int, ok: bool):
    assert (rules.score_issue(scale, score) is None) is ok


@pytest.mark.parametrize(("scale", "score", "called_back"), [("csat", 1, True), ("csat", 2, True), ("csat", 3, False),
                                                             ("nps", 6, True), ("nps", 7, False), ("nps", 0, True)])
def test_detractors_are_csat_1_2_and_nps_0_6(scale: str, score: int, called_back: bool):
    assert rules.is_detractor(scale, score) is called_back


def test_comments_are_bounded_and_free_of_control_characters():
    assert rules.comment_issue(None) is None and rules.comment_issue("好\n很好\t!") is None
    assert rules.comment_issue("x" * 500) is None and rules.comment_issue("x" * 501) is not None
    assert rules.comment_issue("bell\x07") is not None and rules.comment_issue("del\x7f") is not None


def test_figures_from_summed_counters():
    counters: dict[str, int] = {"i": 4, "n": 3}
    for scale, score, fcr, callback in (("csat", 5, True, False), ("csat", 2, False, True), ("nps", 9, None, False)):
        for name, value in rules.answer_counters(scale, score, fcr, callback).items():
            counters[name] = counters.get(name, 0) + value if name != "n" else counters[name]
    out = rules.figures("g", counters)
    assert out["response_rate"] == 0.75
    assert out["csat"] == {"responses": 2, "average": 3.5, "satisfied_rate": 0.5}
    assert out["nps"] == {"responses": 1, "score": 100.0, "promoters": 1, "detractors": 0}
    assert out["first_contact_resolution_rate"] == 0.5
    assert out["callbacks"] == {"opened": 1, "closed": 0, "closed_in_sla": 0}
    assert rules.figures("empty", {})["csat"]["average"] is None
