"""The calibration bank: loaded and checked with the content, messages with path and line."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from lms.domain.calibration import (CalibrationBank, Exemplar, coverage_problems, descriptors_version,
                                    load_calibration, select_exemplars, task_version)
from lms.domain.content import load_content
from lms.domain.problems import WARNING

from .content_fixtures import line_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def real():
    """The real content, calibration bank included."""
    report = load_content(ROOT / "rubrics", ROOT / "modules", ROOT / "badges")
    assert report.catalogue is not None, report.lines()
    return report


def test_the_real_bank_loads_cleanly_and_covers_five_tasks_over_four_domains(real):
    assert not [p for p in real.problems if "calibration" in p.path]
    cat = real.catalogue
    bank = cat.calibration
    per_task = {slug: sum(1 for e in bank.exemplars if e.unit_slug == slug) for slug in bank.unit_slugs()}
    full = [slug for slug, n in per_task.items() if n >= 2]
    assert len(full) >= 5
    assert {cat.unit(slug).domain_id for slug in full} == {"PI", "PKS", "PR", "PD"}
    for exemplar in bank.exemplars:
        unit = cat.unit(exemplar.unit_slug)
        assert [i for i, _ in exemplar.agreed_levels] == list(unit.task.indicator_ids)
        assert exemplar.rationale and exemplar.evidence
        assert exemplar.task_version == task_version(unit)
        assert exemplar.descriptors_version == descriptors_version(cat.rubric, unit.task.indicator_ids)


def _bank_dir(tmp_path: Path, text: str) -> Path:
    rubrics = tmp_path / "rubrics"
    (rubrics / "calibration").mkdir(parents=True)
    (rubrics / "calibration" / "bank.yaml").write_text(text, encoding="utf-8")
    return rubrics


def _exemplar_yaml(unit, rubric, levels: dict | None = None, against: str | None = "current", extra: str = "") -> str:
    levels = levels if levels is not None else {i: "proficient" for i in unit.task.indicator_ids}
    if against == "current":
        against = (f"{{task: {task_version(unit)}, "
                   f"descriptors: {descriptors_version(rubric, unit.task.indicator_ids)}}}")
    lines = [f"unit: {unit.slug}", "exemplars:", "  - id: sample-one"]
    if against:
        lines.append(f"    agreed_against: {against}")
    lines += ["    evidence: |", "      My student educator and I met after the lesson.",
              "    levels:"] + [f"      {i}: {lvl}" for i, lvl in levels.items()]
    lines += ["    rationale: >-", "      Specific and dated."] + ([extra] if extra else [])
    return "\n".join(lines) + "\n"


def test_a_changed_task_or_descriptors_gives_a_warning_naming_the_exemplar_and_the_new_version(real, tmp_path):
    cat = real.catalogue
    unit = cat.unit("constructive-feedback")
    rubrics = _bank_dir(tmp_path, _exemplar_yaml(unit, cat.rubric))
    bank, problems = load_calibration(rubrics, cat.units, cat.rubric)
    assert problems == [] and len(bank.exemplars) == 1

    edited = dataclasses.replace(unit, task=dataclasses.replace(unit.task, instructions="Write **one** line."))
    units = [edited if u.slug == unit.slug else u for u in cat.units]
    bank, problems = load_calibration(rubrics, units, cat.rubric)
    path = rubrics / "calibration" / "bank.yaml"
    assert [(p.line, p.severity) for p in problems] == [(line_of(path, "agreed_against"), WARNING)]
    assert "task of constructive-feedback has changed since exemplar sample-one" in problems[0].message
    assert task_version(edited) in problems[0].message
    assert len(bank.exemplars) == 1  # still usable: the warning asks for the levels to be re-agreed

    descriptors = {**cat.rubric.descriptors, "COM.2": {**cat.rubric.descriptors["COM.2"], "proficient": "New."}}
    rubric = dataclasses.replace(cat.rubric, descriptors=descriptors)
    _, problems = load_calibration(rubrics, cat.units, rubric)
    assert len(problems) == 1 and "descriptors of COM.2, COM.5 have changed" in problems[0].message
    assert str(problems[0]).startswith(f"{problems[0].path}:{line_of(path, 'agreed_against')}: ")


def test_an_exemplar_without_its_agreed_version_is_told_what_to_add(real, tmp_path):
    cat = real.catalogue
    unit = cat.unit("empathy-and-respect")
    _, problems = load_calibration(_bank_dir(tmp_path, _exemplar_yaml(unit, cat.rubric, against=None)),
                                   cat.units, cat.rubric)
    assert len(problems) == 1 and problems[0].severity == WARNING
    assert f"agreed_against: {{task: {task_version(unit)}, descriptors: " in problems[0].message


@pytest.mark.parametrize("levels, needle, message", [
    ({"COM.2": "proficient"}, "levels:", "no agreed level for COM.5"),
    ({"COM.2": "proficient", "COM.5": "superb"}, "COM.5: superb", "unknown level 'superb'"),
    ({"COM.2": "proficient", "COM.5": "proficient", "DSP.1": "emerging"}, "DSP.1", "'DSP.1' is not assessed"),
])
def test_wrong_levels_are_errors_at_their_line_and_the_exemplar_is_left_out(real, tmp_path, levels, needle, message):
    cat = real.catalogue
    rubrics = _bank_dir(tmp_path, _exemplar_yaml(cat.unit("constructive-feedback"), cat.rubric, levels))
    bank, problems = load_calibration(rubrics, cat.units, cat.rubric)
    path = rubrics / "calibration" / "bank.yaml"
    assert [(p.line, p.severity) for p in problems] == [(line_of(path, needle), "error")]
    assert message in problems[0].message and bank.exemplars == ()


def test_unknown_unit_duplicate_ids_and_bad_yaml_are_errors(real, tmp_path):
    cat = real.catalogue
    unit = cat.unit("constructive-feedback")
    text = _exemplar_yaml(unit, cat.rubric)
    rubrics = _bank_dir(tmp_path, text + text.split("exemplars:\n", 1)[1])  # the same exemplar twice
    (rubrics / "calibration" / "other.yaml").write_text("unit: no-such-unit\nexemplars: []\n", encoding="utf-8")
    (rubrics / "calibration" / "broken.yaml").write_text("unit: [unclosed\n", encoding="utf-8")
    bank, problems = load_calibration(rubrics, cat.units, cat.rubric)
    messages = {(Path(p.path).name, p.line): p.message for p in problems}
    assert "exemplar id 'sample-one' is also used in" in messages[("bank.yaml", 12)]
    assert "'unit: no-such-unit' is not a unit with an evidence task" == messages[("other.yaml", 1)]
    assert messages[("broken.yaml", 2)].startswith("YAML syntax error")
    assert len(bank.exemplars) == 1


def test_a_thin_bank_is_a_warning(real, tmp_path):
    cat = real.catalogue
    rubrics = _bank_dir(tmp_path, _exemplar_yaml(cat.unit("constructive-feedback"), cat.rubric))
    (rubrics / "calibration" / "bank.yaml").rename(rubrics / "calibration" / "a.yaml")
    (rubrics / "calibration" / "b.yaml").write_text(
        _exemplar_yaml(cat.unit("constructive-feedback"), cat.rubric).replace("sample-one", "sample-two"))
    bank, problems = load_calibration(rubrics, cat.units, cat.rubric)
    assert problems == [] and len(bank.exemplars) == 2
    problems = coverage_problems(bank, cat.units, rubrics)
    assert len(problems) == 1 and problems[0].severity == WARNING
    assert "needs at least 5 such tasks" in problems[0].message and "PD, PI, PKS" in problems[0].message


def test_content_check_reports_calibration_problems(tmp_path):
    from .conftest import make_app
    rubrics = tmp_path / "rubrics"
    shutil.copytree(ROOT / "rubrics", rubrics)
    path = rubrics / "calibration" / "constructive-feedback.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("task: ", "task: 000000", 1), encoding="utf-8")
    app = make_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "instance", RUBRICS_DIR=str(rubrics))
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1
    assert "calibration/constructive-feedback.yaml:5: the task of constructive-feedback has changed" in result.output


def _exemplar(eid: str, slug: str) -> Exemplar:
    return Exemplar(eid, slug, "text", (("COM.2", 2),), "why", "t", "d")


def test_a_round_draws_unseen_exemplars_spread_over_tasks():
    bank = CalibrationBank(tuple(_exemplar(f"{slug}-{n}", slug) for slug in ("a", "b", "c") for n in (1, 2)))
    assert [e.id for e in select_exemplars(bank, set(), 3)] == ["a-1", "b-1", "c-1"]
    assert [e.id for e in select_exemplars(bank, {"a-1", "b-1", "c-1"}, 3)] == ["a-2", "b-2", "c-2"]
    assert [e.id for e in select_exemplars(bank, {"a-1", "a-2", "b-1", "c-1", "c-2"}, 3)] == ["b-2"]
    assert select_exemplars(bank, {e.id for e in bank.exemplars}, 3) == []
