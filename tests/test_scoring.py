"""Rubric data and the roll-up from indicator levels to the micro-credential (plain Python, no app)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from lms.domain.content import load_content
from lms.domain.rubrics import CompetencyRule
from lms.domain.scoring import (ACCEPTED, NOT_YET, ScoredIndicator, acceptance_refusal, best_levels,
                                required_level, roll_up, shortfalls)

from .content_fixtures import ROOT, line_of, make_tree, unit_text

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc)
NOT_YET_EVIDENT, EMERGING, PROFICIENT, ACCOMPLISHED = 0, 1, 2, 3


@pytest.fixture(scope="module")
def catalogue():
    return load_content(ROOT / "rubrics", ROOT / "modules").catalogue


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def all_of(catalogue, competency_id, level, when, outcome=ACCEPTED):
    return [ScoredIndicator(i.id, level, outcome, when)
            for i in catalogue.framework.competency(competency_id).indicators]


# --- the rubric data -----------------------------------------------------------------------------

def test_shipped_rubric_describes_every_level_of_every_indicator(catalogue):
    rubric = catalogue.rubric
    assert [level.label for level in rubric.levels][0] == "Not yet evident"
    assert len(rubric.levels) >= 4
    for indicator in catalogue.framework.indicators:
        for level in rubric.levels:
            assert len(rubric.descriptor(indicator.id, level.value).split()) >= 10, (indicator.id, level.id)
    assert set(rubric.rules) == {c.id for c in catalogue.framework.competencies}


def test_indicator_without_descriptors_is_reported(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text()})
    text = (rubrics / "descriptors" / "PR.yaml").read_text()
    start = text.index("COM.6:")
    end = text.index("COM.7:")
    (rubrics / "descriptors" / "PR.yaml").write_text(text[:start] + text[end:])
    report = load_content(rubrics, modules)
    line = line_of(rubrics / "framework.yaml", "id: COM.6")
    assert any(str(p).startswith(f"rubrics/framework.yaml:{line}: indicator COM.6 has no rubric descriptors")
               for p in report.problems)
    assert report.catalogue is None


def test_descriptor_problems_name_the_file_and_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text()})
    path = rubrics / "descriptors" / "PR.yaml"
    path.write_text(path.read_text().replace("  proficient:", "  profcient:", 1) + "XYZ.1:\n  emerging: x\n")
    messages = [str(p) for p in load_content(rubrics, modules).problems]
    assert any(m.startswith(f"rubrics/descriptors/PR.yaml:{line_of(path, 'profcient:')}: unknown level 'profcient'")
               for m in messages)
    assert any(m.startswith(f"rubrics/descriptors/PR.yaml:{line_of(path, 'XYZ.1:')}: unknown indicator 'XYZ.1'")
               for m in messages)


def test_a_competency_without_a_rule_is_reported(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text()})
    path = rubrics / "rules.yaml"
    path.write_text(path.read_text().replace("  DSP: {every_indicator_at_least: proficient}\n", ""))
    assert any("competency DSP has no decision rule" in str(p) for p in load_content(rubrics, modules).problems)


# --- roll-up ---------------------------------------------------------------------------------------

def test_nothing_assessed_means_not_started(catalogue):
    profile = roll_up(catalogue.framework, catalogue.rubric, [])
    assert {c.state for d in profile.domains for c in d.competencies} == {"not_started"}
    assert not profile.achieved and profile.achievements == []


def test_competency_achieved_when_every_indicator_reaches_the_rule(catalogue):
    scores = all_of(catalogue, "COL", PROFICIENT, at(1))
    profile = roll_up(catalogue.framework, catalogue.rubric, scores)
    col = profile.competency("COL")
    assert col.achieved and col.achieved_at == at(1) and col.below_rule == ()
    assert profile.competency("COM").state == "not_started"
    assert not profile.domain("PR").achieved


def test_one_indicator_short_keeps_the_competency_in_progress(catalogue):
    scores = all_of(catalogue, "COL", PROFICIENT, at(1))
    scores[-1] = replace(scores[-1], level=EMERGING)
    col = roll_up(catalogue.framework, catalogue.rubric, scores).competency("COL")
    assert col.state == "in_progress" and col.below_rule == ("COL.5",)


def test_an_indicator_evidenced_by_two_tasks_takes_the_best_level(catalogue):
    scores = all_of(catalogue, "DSP", PROFICIENT, at(1))
    scores += [ScoredIndicator("DSP.1", EMERGING, ACCEPTED, at(2)),       # a weaker later task
               ScoredIndicator("DSP.2", ACCOMPLISHED, ACCEPTED, at(3))]   # a stronger later task
    levels = best_levels(scores)
    assert levels["DSP.1"].level == PROFICIENT and levels["DSP.1"].reached_at == at(1)
    assert levels["DSP.2"].level == ACCOMPLISHED and levels["DSP.2"].reached_at == at(3)
    assert roll_up(catalogue.framework, catalogue.rubric, scores).competency("DSP").achieved


def test_a_later_not_yet_does_not_take_an_accepted_level_away(catalogue):
    scores = all_of(catalogue, "DSP", PROFICIENT, at(1))
    scores += all_of(catalogue, "DSP", EMERGING, at(5), outcome=NOT_YET)
    profile = roll_up(catalogue.framework, catalogue.rubric, scores)
    assert profile.competency("DSP").achieved and profile.competency("DSP").achieved_at == at(1)
    assert best_levels(scores)["DSP.3"].level == PROFICIENT


def test_levels_from_not_yet_decisions_never_count(catalogue):
    scores = all_of(catalogue, "DSP", ACCOMPLISHED, at(1), outcome=NOT_YET)
    dsp = roll_up(catalogue.framework, catalogue.rubric, scores).competency("DSP")
    assert dsp.state == "in_progress"
    assert all(r.level is None and r.assessed for r in dsp.indicators)


def test_a_rule_change_applies_to_the_profile(catalogue):
    scores = all_of(catalogue, "DSP", PROFICIENT, at(1))
    assert roll_up(catalogue.framework, catalogue.rubric, scores).competency("DSP").achieved
    stricter = replace(catalogue.rubric, rules={**catalogue.rubric.rules,
                                                "DSP": CompetencyRule("DSP", PROFICIENT, ((ACCOMPLISHED, 1),))})
    assert roll_up(catalogue.framework, stricter, scores).competency("DSP").state == "in_progress"
    scores.append(ScoredIndicator("DSP.3", ACCOMPLISHED, ACCEPTED, at(7)))
    again = roll_up(catalogue.framework, stricter, scores).competency("DSP")
    assert again.achieved and again.achieved_at == at(7)


def test_domains_and_the_credential_roll_up_with_the_latest_date(catalogue):
    scores = []
    for hour, competency in enumerate(catalogue.framework.competencies, start=1):
        scores += all_of(catalogue, competency.id, PROFICIENT, at(hour))
    profile = roll_up(catalogue.framework, catalogue.rubric, scores)
    assert profile.domain("PKS").achieved and profile.domain("PKS").achieved_at == at(3)  # CDM at 2, INN at 3
    assert profile.domain("PR").achieved_at == at(6)
    assert profile.achieved and profile.achieved_at == at(7)
    kinds = [kind for kind, _, _ in profile.achievements]
    assert kinds.count("competency") == 7 and kinds.count("domain") == 4 and kinds.count("credential") == 1


def test_the_rule_itself():
    rule = CompetencyRule("X", PROFICIENT, ((ACCOMPLISHED, 2),))
    assert not rule.is_met([PROFICIENT, ACCOMPLISHED, None])
    assert not rule.is_met([PROFICIENT, ACCOMPLISHED, PROFICIENT])
    assert rule.is_met([ACCOMPLISHED, ACCOMPLISHED, PROFICIENT])


# --- "accepted" leaves no dead end ------------------------------------------------------------------

def test_acceptance_is_refused_naming_each_indicator_below_its_rule(catalogue):
    framework, rubric = catalogue.framework, catalogue.rubric
    levels = {"COM.3": PROFICIENT, "COM.4": EMERGING, "COM.7": NOT_YET_EVIDENT}
    assert [s.indicator_id for s in shortfalls(framework, rubric, levels)] == ["COM.4", "COM.7"]
    message = acceptance_refusal(framework, rubric, levels)
    assert "COM.4 is at “Emerging” and needs at least “Proficient”" in message
    assert "COM.7 is at “Not yet evident”" in message and "COM.3" not in message
    assert acceptance_refusal(framework, rubric, {"COM.3": PROFICIENT, "COM.4": ACCOMPLISHED,
                                                  "COM.7": PROFICIENT}) is None


def test_the_acceptance_level_follows_the_competency_rule(catalogue):
    stricter = replace(catalogue.rubric, rules={**catalogue.rubric.rules, "COM": CompetencyRule("COM", ACCOMPLISHED)})
    assert required_level(catalogue.framework, catalogue.rubric, "COM.4") == PROFICIENT
    assert required_level(catalogue.framework, stricter, "COM.4") == ACCOMPLISHED
    assert [s.indicator_id for s in shortfalls(catalogue.framework, stricter, {"COM.4": PROFICIENT,
                                                                               "DSP.1": PROFICIENT})] == ["COM.4"]


def test_every_acceptable_decision_on_every_task_adds_up_to_the_credential(catalogue):
    """No dead end in the shipped content: each task accepted at the lowest level it can be accepted
    at earns every competency, domain and the micro-credential; one level lower is refused."""
    framework, rubric = catalogue.framework, catalogue.rubric
    scores = []
    for hour, unit in enumerate((u for u in catalogue.units if u.task is not None), start=1):
        lowest_acceptable = {i: required_level(framework, rubric, i) for i in unit.task.indicator_ids}
        assert acceptance_refusal(framework, rubric, lowest_acceptable) is None
        for indicator_id, level in lowest_acceptable.items():
            assert acceptance_refusal(framework, rubric, {**lowest_acceptable, indicator_id: level - 1})
        scores += [ScoredIndicator(i, level, ACCEPTED, at(hour)) for i, level in lowest_acceptable.items()]
    profile = roll_up(framework, rubric, scores)
    assert profile.achieved and all(c.below_rule == () for d in profile.domains for c in d.competencies)


def test_a_rule_asking_some_indicators_for_more_is_refused_until_reopening_covers_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text()})
    path = rubrics / "rules.yaml"
    path.write_text(path.read_text().replace(
        "  COM: {every_indicator_at_least: proficient}",
        "  COM:\n    every_indicator_at_least: proficient\n    at_least:\n      - {level: accomplished, count: 2}"))
    report = load_content(rubrics, modules)
    line = line_of(path, "    at_least:")
    assert any(str(p).startswith(f"rubrics/rules.yaml:{line}: rule for COM: 'at_least' is not supported yet")
               for p in report.problems)
    assert report.catalogue is None
