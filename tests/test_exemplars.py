"""Teaching exemplars (modules/exemplars/*.yaml): loading and every rule `content check` enforces. No app."""

from __future__ import annotations

import os
import shutil

import pytest

from lms.domain.calibration import load_calibration
from lms.domain.content import load_content
from lms.domain.exemplars import descriptor_conditions, heading_key, part_heading
from lms.domain.problems import WARNING

from .content_fixtures import (EXEMPLAR_FIXTURE, EXEMPLAR_TASK, ROOT, exemplar_tree, line_of, make_tree,
                               orientation_text, unit_text)

FILE = "modules/exemplars/listening.yaml"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def fixture_text(*replacements: tuple[str, str]) -> str:
    text = EXEMPLAR_FIXTURE.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def exemplar_problems(report) -> list[str]:
    return [str(p) for p in report.problems if "exemplars/" in p.path]


def check(tmp_path, *replacements, **kwargs):
    """Load a tree holding the fixture file with these replacements, run from its folder (as a person would)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    os.chdir(tmp_path)  # the autouse fixture puts the working directory back afterwards
    rubrics, modules = exemplar_tree(tmp_path, fixture_text(*replacements), **kwargs)
    report = load_content(rubrics, modules)
    return report, exemplar_problems(report), modules / "exemplars" / kwargs.get("name", "listening.yaml")


def line(path, needle: str, after: str | None = None) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(next(l for l in lines if after in l)) if after else 0
    return next(n for n, l in enumerate(lines, start=1) if n > start and needle in l)


# --- a good file ----------------------------------------------------------------------------------

def test_a_good_file_loads_with_the_accepted_example_first(tmp_path):
    report, problems, _ = check(tmp_path)
    assert problems == []
    found = report.catalogue.exemplars("listening")
    assert [e.outcome for e in found.exemplars] == ["accepted", "not_yet"]
    assert found.accepted.title == "A debrief where the mentor held back"
    assert [a.indicator_id for a in found.accepted.annotations] == ["COM.4", "COM.6"]
    assert [a.level_id for a in found.not_yet[0].annotations] == ["emerging", "proficient"]
    assert found.accepted.attachments[0].name == "listening-log.pdf" and found.not_yet[0].attachments == ()
    assert found.not_yet[0].feedback.startswith("Thank you for the log.")
    # The text's ### part headings sit one level under the page's own headings.
    assert "<h4>Listening log</h4>" in found.accepted.text_html


def test_summary_counts_tasks_with_exemplars(tmp_path):
    report, _, _ = check(tmp_path)
    assert report.summary() == "content: 1 units, 2/38 indicators evidenced, 1/1 tasks with exemplars, 36 problems"
    # A second task without a file is not a problem: it only lowers the count.
    report, problems, _ = check(tmp_path / "b", units={"second.md": unit_text(order=2, evidence_task=EXEMPLAR_TASK)})
    assert problems == []
    assert ", 1/2 tasks with exemplars, " in report.summary()


def test_an_orientation_unit_is_not_a_task_and_a_missing_folder_is_fine(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(), "plan.md": orientation_text(order=2)})
    report = load_content(rubrics, modules)
    assert ", 0/1 tasks with exemplars, " in report.summary()
    assert exemplar_problems(report) == []


def test_a_broken_file_is_a_quality_problem_and_is_not_shown(tmp_path):
    report, problems, _ = check(tmp_path, ("level: proficient", "level: superb"))
    assert problems and all(p.severity == WARNING for p in report.problems if "exemplars/" in p.path)
    assert report.catalogue is not None  # the app runs ...
    assert report.catalogue.exemplars("listening") is None  # ... without this unit's exemplars
    assert ", 0/1 tasks with exemplars, " in report.summary()


# --- the unit ---------------------------------------------------------------------------------------

def test_unit_must_match_the_file_name(tmp_path):
    _, problems, path = check(tmp_path, ("unit: listening", "unit: questioning"))
    assert problems == [f"{FILE}:{line(path, 'unit: questioning')}: 'unit: questioning' does not match the "
                        "file name: the file for questioning is questioning.yaml, or this file's unit is 'listening'"]


def test_the_unit_must_exist(tmp_path):
    _, problems, path = check(tmp_path, ("unit: listening", "unit: speaking"), name="speaking.yaml")
    assert problems == [f"modules/exemplars/speaking.yaml:{line(path, 'unit: speaking')}: there is no unit "
                        "'speaking' (modules/speaking.md)"]


def test_the_unit_must_have_an_evidence_task(tmp_path):
    _, problems, path = check(tmp_path, ("unit: listening", "unit: plan"), name="plan.yaml",
                              units={"plan.md": orientation_text(order=2)})
    assert problems == [f"modules/exemplars/plan.yaml:{line(path, 'unit: plan')}: unit 'plan' has no evidence "
                        "task, so it has no exemplars"]


def test_malformed_yaml_and_unknown_fields_are_located(tmp_path):
    _, problems, path = check(tmp_path, ("    attachments: []", "    attachments: [oops"))
    assert len(problems) == 1 and problems[0].startswith(f"{FILE}:") and "YAML syntax error" in problems[0]
    _, problems, path = check(tmp_path / "b", ("    attachments: []", "    attachments: []\n    mood: sunny"))
    assert problems == [f"{FILE}:{line(path, 'mood: sunny')}: unknown field 'mood' in example 2 (expected: "
                        "outcome, title, situation, attachments, text, annotations, feedback)"]


def test_attachments_are_required_even_when_empty(tmp_path):
    _, problems, path = check(tmp_path, ("    attachments: []\n", ""))
    assert problems == [f"{FILE}:{line(path, 'outcome: not_yet')}: example 2 needs 'attachments': the files the "
                        "learner attached, described (write 'attachments: []' when there are none)"]


# --- outcomes ---------------------------------------------------------------------------------------

def test_exactly_one_accepted_and_at_least_one_not_yet(tmp_path):
    _, problems, path = check(tmp_path, ("outcome: not_yet", "outcome: accepted"))
    exemplars_line = line(path, "exemplars:")
    assert f"{FILE}:{exemplars_line}: the file has 2 accepted examples; it needs exactly one" in problems
    assert f"{FILE}:{exemplars_line}: the file has no example returned not yet; it needs at least one" in problems


def test_outcome_must_be_known(tmp_path):
    _, problems, path = check(tmp_path, ("outcome: not_yet", "outcome: rejected"))
    assert f"{FILE}:{line(path, 'outcome: rejected')}: example 2: 'outcome' must be accepted or not_yet, " \
           "not 'rejected'" in problems


# --- annotations --------------------------------------------------------------------------------------

def test_annotations_cover_every_task_indicator(tmp_path):
    _, problems, path = check(tmp_path, ("      - indicator: COM.6\n        level: accomplished\n"
                                         "        note: The reflection links a question to a change in the "
                                         "mentee's plan.\n", ""))
    assert problems == [f"{FILE}:{line(path, 'annotations:')}: example 1 does not annotate COM.6: annotate "
                        "every indicator the task evidences"]


def test_annotation_of_an_indicator_the_task_does_not_evidence(tmp_path):
    _, problems, path = check(tmp_path, ("indicator: COM.6\n        level: accomplished",
                                         "indicator: COM.7\n        level: accomplished"))
    assert f"{FILE}:{line(path, 'indicator: COM.7')}: example 1: 'COM.7' is not evidenced by the task of " \
           "listening (it evidences COM.4, COM.6)" in problems


def test_each_indicator_once_and_in_the_task_order(tmp_path):
    _, problems, path = check(tmp_path, ("indicator: COM.6\n        level: accomplished",
                                         "indicator: COM.4\n        level: accomplished"))
    second = line_of(path, "level: accomplished") - 1
    assert problems == [f"{FILE}:{line(path, 'annotations:')}: example 1 does not annotate COM.6: annotate every "
                        "indicator the task evidences", f"{FILE}:{second}: example 1: COM.4 is annotated twice"]
    _, problems, path = check(tmp_path / "b", ("indicator: COM.4\n        level: emerging",
                                               "indicator: COM.6\n        level: emerging"),
                              ("indicator: COM.6\n        level: proficient", "indicator: COM.4\n        level: proficient"))
    annotations = line(path, "annotations:", after="outcome: not_yet")
    assert problems == [f"{FILE}:{annotations}: example 2: put the annotations in the task's order (COM.4, COM.6)"]


def test_levels_are_known_ids(tmp_path):
    _, problems, path = check(tmp_path, ("level: emerging", "level: Emerging"))
    assert problems == [f"{FILE}:{line(path, 'level: Emerging')}: example 2, COM.4: unknown level 'Emerging' "
                        "(known: not_yet_evident, emerging, proficient, accomplished)"]


def test_every_annotation_has_a_note(tmp_path):
    _, problems, path = check(tmp_path, ("        note: The questions are described, though not quoted.\n", ""))
    assert problems == [f"{FILE}:{line(path, 'indicator: COM.6', after='outcome: not_yet')}: example 2, COM.6 needs "
                        "a 'note' saying where the text meets the descriptor"]


def test_accepted_needs_every_indicator_at_the_required_level(tmp_path):
    _, problems, path = check(tmp_path, ("level: accomplished", "level: emerging"))
    assert problems == [f"{FILE}:{line(path, 'level: emerging')}: example 1 is accepted, but COM.6 is at emerging, "
                        "below proficient its competency requires"]


def test_not_yet_needs_one_indicator_below_and_feedback(tmp_path):
    _, problems, path = check(tmp_path, ("level: emerging", "level: proficient"))
    assert problems == [f"{FILE}:{line(path, 'outcome: not_yet')}: example 2 was returned not yet, but every "
                        "indicator is at or above the level its competency requires: at least one must be below it"]
    text = fixture_text()
    feedback = text[text.index("    feedback: >-"):]
    _, problems, path = check(tmp_path / "b", (feedback, ""))
    assert problems == [f"{FILE}:{line(path, 'outcome: not_yet')}: example 2 was returned not yet: it needs "
                        "'feedback', the assessor's note on what to add"]


def test_accepted_has_no_feedback(tmp_path):
    _, problems, path = check(tmp_path, ("    attachments:\n      - name", "    feedback: Well done.\n"
                                                                          "    attachments:\n      - name"))
    assert problems == [f"{FILE}:{line(path, 'feedback: Well done.')}: example 1 was accepted: 'feedback' is only "
                        "for an example returned not yet"]


# --- the text ----------------------------------------------------------------------------------------

def test_text_has_a_section_for_each_part(tmp_path):
    _, problems, path = check(tmp_path, ("      ### Reflection\n", "      Reflection\n"))
    assert problems == [f"{FILE}:{line(path, 'text: |', after='outcome: not_yet')}: example 2's text has no section "
                        "for '### Reflection (20 to 200 words)': one ### heading per task part"]


def test_part_headings_are_the_lead_ins_with_or_without_brackets(tmp_path):
    assert part_heading("**Reflection (400 to 600 words).** How the plan...", 2) == "Reflection (400 to 600 words)"
    assert part_heading("Log three moves.", 1) == "Part 1"
    assert heading_key("Reflection (400 to 600 words)") == heading_key("reflection") == "reflection"
    _, problems, _ = check(tmp_path, ("### Listening log", "### Listening log:"))
    assert problems == []


def test_sections_in_the_task_order_and_no_other_level_three_heading(tmp_path):
    _, problems, path = check(tmp_path, ("      ### Listening log\n", "      ### Reflection\n"),
                              ("      ### Reflection (20 to 200 words)\n", "      ### Listening log\n"))
    assert problems == [f"{FILE}:{line(path, 'text: |')}: example 1's sections are not once each in the task's "
                        "order: '### Listening log', '### Reflection (20 to 200 words)'"]
    _, problems, path = check(tmp_path / "b", ("      ### Reflection\n", "      ### Reflection\n\n      ### Summary\n"))
    assert problems == [f"{FILE}:{line(path, '### Summary')}: example 2: '### Summary' is not a part of the task; "
                        "the sections are '### Listening log', '### Reflection (20 to 200 words)' (use #### inside "
                        "a section)"]


def test_word_count_within_the_tasks_limits(tmp_path):
    _, problems, path = check(tmp_path / "b", ("our meeting and asked good questions",
                                               "our meeting and asked good questions" + " word" * 200))
    assert len(problems) == 1 and "example 2's text has 251 words; the task asks for 20 to 200" in problems[0]
    assert problems[0].startswith(f"{FILE}:{line(path, 'text: |', after='outcome: not_yet')}:")
    _, problems, _ = check(tmp_path / "c", ("      ### Listening log\n\n      I listened carefully to my student "
                                            "educator throughout our meeting and asked good questions\n      about "
                                            "her lesson, and she seemed happy with the conversation.\n",
                                            "      ### Listening log\n\n      Short.\n"),
                           ("I think the conversation went well, because listening is something I always try to do "
                            "with\n      every student educator who comes to our school.", "Short."))
    assert len(problems) == 1 and "example 2's text has 5 words; the task asks for 20 to 200" in problems[0]


# --- separate from calibration ------------------------------------------------------------------------

CALIBRATION = """unit: listening
exemplars:
  - id: listening-borrowed
    evidence: |
      **Listening log.** Some other words first.

      Holding back my own story let Ravi find the reason himself: the extract was short enough for
      K to practise at home. He now plans shorter extracts for the whole class on Friday.
    levels: {COM.4: proficient, COM.6: proficient}
    rationale: A rationale of the calibration bank's own.
"""


def test_a_paragraph_also_in_the_calibration_bank_is_refused(tmp_path):
    rubrics, modules = exemplar_tree(tmp_path)
    (rubrics / "calibration").mkdir()
    (rubrics / "calibration" / "listening.yaml").write_text(CALIBRATION, encoding="utf-8")
    report = load_content(rubrics, modules)
    path = modules / "exemplars" / "listening.yaml"
    assert exemplar_problems(report) == [
        f"{FILE}:{line_of(path, 'Holding back my own story')}: example 1: this paragraph also appears in the "
        "calibration bank (rubrics/calibration/); exemplars are written afresh and never share text with it"]
    assert report.catalogue.exemplars("listening") is None
    # Reformatting or a different quote mark does not get it through.
    text = fixture_text(("      Holding back my own story let Ravi find the reason himself: the extract was short "
                         "enough for\n      K to practise", "      *Holding back* my own story let Ravi find the "
                         "reason himself:   the extract was short enough for K\n      to practise"))
    (path).write_text(text, encoding="utf-8")
    assert len(exemplar_problems(load_content(rubrics, modules))) == 1


def test_the_calibration_bank_never_reads_teaching_exemplars(tmp_path):
    rubrics, modules = exemplar_tree(tmp_path)
    (rubrics / "calibration").mkdir()
    (rubrics / "calibration" / "listening.yaml").write_text(
        CALIBRATION.replace("Holding back my own story", "Staying quiet for a while"), encoding="utf-8")
    report = load_content(rubrics, modules)
    assert exemplar_problems(report) == []
    bank = report.catalogue.calibration
    assert [e.id for e in bank.exemplars] == ["listening-borrowed"]
    teaching = report.catalogue.exemplars("listening")
    for exemplar in bank.exemplars:
        assert all(e.title not in exemplar.evidence and e.text not in exemplar.evidence for e in teaching.exemplars)
    # The bank's loader gets the rubrics folder only: moving the exemplars away changes nothing in it.
    shutil.rmtree(modules / "exemplars")
    units = report.catalogue.units
    alone, _ = load_calibration(rubrics, units, report.catalogue.rubric)
    assert alone == bank


# --- descriptors as sentences or as lists of conditions ----------------------------------------------

def test_descriptors_read_as_a_sentence_or_a_list_of_conditions():
    assert descriptor_conditions("Six dated entries.") == ("Six dated entries.",)
    assert descriptor_conditions(["Six dated entries", "An ethical tension"]) == ("Six dated entries",
                                                                                  "An ethical tension")
    assert descriptor_conditions(("One",)) == ("One",)
    assert descriptor_conditions("") == () and descriptor_conditions(None) == ()


# --- the shipped content -------------------------------------------------------------------------------

def test_shipped_exemplars_have_no_problems():
    report = load_content(ROOT / "rubrics", ROOT / "modules")
    assert exemplar_problems(report) == []
    catalogue = report.catalogue
    assert report.tasks_with_exemplars == len(catalogue.exemplar_sets)
    assert report.task_count == len(catalogue.task_units)
    for found in catalogue.exemplar_sets:
        assert found.accepted and found.not_yet, found.path
    # The professional dispositions tasks have theirs.
    for slug in ("agency-and-wellbeing", "dispositions-journal", "empathy-and-respect"):
        assert catalogue.exemplars(slug) is not None, slug


def test_a_descriptor_that_is_text_with_conditions_gives_its_conditions():
    class Descriptor(str):  # how a rubric may hand back a list: text that also carries its items
        items = ("Six dated entries", "An ethical tension")
    assert descriptor_conditions(Descriptor("Six dated entries. An ethical tension.")) == (
        "Six dated entries", "An ethical tension")
    assert descriptor_conditions({"a": "One"}) == ("One",)
