"""Build small content trees (framework + units) in a temporary folder for loader and checker tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
FILLER = ("Listening well to a student educator means staying with what they say before you answer. ") * 50
RESEARCH_SECTION = ("\n\n## Research behind this unit\n\nStudies of feedback show that comments about the task "
                    "help more than comments about the person.\n")
# A real, checkable reference, used wherever a test needs a valid one.
REFERENCE = {"authors": "Kluger, A. N. & DeNisi, A.", "year": 1996,
             "title": ("The effects of feedback interventions on performance: a historical review, a "
                       "meta-analysis, and a preliminary feedback intervention theory"),
             "published_in": "Psychological Bulletin, 119(2), 254-284", "doi": "10.1037/0033-2909.119.2.254"}


def unit_text(**overrides) -> str:
    """A valid unit file's text; ``overrides`` replace front matter fields (None removes one)."""
    meta = {
        "title": "Active listening",
        "domain": "PR",
        "competencies": ["COM"],
        "teaches": ["COM.7"],
        "minutes": 20,
        "order": 1,
        "outcomes": ["Use three listening moves"],
        "reflection": "When did you last listen without planning your reply?",
        "key_method": "Paraphrase, then ask one open question, before giving any advice",
        "research": [dict(REFERENCE)],
        "evidence_task": {"title": "Record a conversation", "instructions": "Write **300 words**.",
                          "indicators": ["COM.4"], "effort_hours": 2, "min_words": 250, "max_words": 400,
                          "parts": [{"prompt": "Log three listening moves.", "indicators": ["COM.4"]}],
                          "checklist": ["The log has three moves, each with what your mentee said next"]},
    }
    body = overrides.pop("body", "## Why listen\n\n" + FILLER + RESEARCH_SECTION)
    for key, value in overrides.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    front = yaml.safe_dump(meta, sort_keys=False, default_flow_style=None, width=1000)
    return f"---\n{front}---\n{body}\n"


def orientation_text(**overrides) -> str:
    """A valid orientation unit's text (no domain, no task); ``overrides`` as for ``unit_text``."""
    meta = {"kind": "orientation", "title": "Plan your placement", "minutes": 30, "order": 1,
            "outcomes": ["Map each task to the weeks of the placement"],
            "reflection": "Which task needs to start in your first week?",
            "key_method": "Backward planning from the placement's last week",
            "research": [dict(REFERENCE)]}
    body = overrides.pop("body", "## Weeks\n\n" + FILLER + RESEARCH_SECTION)
    for key, value in overrides.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    front = yaml.safe_dump(meta, sort_keys=False, default_flow_style=None, width=1000)
    return f"---\n{front}---\n{body}\n"


def make_tree(tmp_path: Path, units: dict[str, str], framework: str | None = None) -> tuple[Path, Path]:
    """A rubrics/ folder (the real one, with ``framework`` as framework.yaml if given) and a modules/ folder with ``units``."""
    rubrics, modules = tmp_path / "rubrics", tmp_path / "modules"
    # Without the calibration bank: it refers to the real units, which these trees replace.
    shutil.copytree(ROOT / "rubrics", rubrics, ignore=shutil.ignore_patterns("calibration"))
    modules.mkdir()
    if framework is not None:
        (rubrics / "framework.yaml").write_text(framework, encoding="utf-8")
    for name, text in units.items():
        (modules / name).write_text(text, encoding="utf-8")
    return rubrics, modules


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line containing ``needle``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


# A task with two parts and two indicators, for the teaching exemplars in fixtures/listening-exemplars.yaml.
EXEMPLAR_TASK = {
    "title": "Record a conversation", "instructions": "Write about one conversation.",
    "indicators": ["COM.4", "COM.6"], "effort_hours": 2, "min_words": 20, "max_words": 200,
    "parts": [{"prompt": "**Listening log.** Three listening moves, dated.", "indicators": ["COM.4"]},
              {"prompt": "**Reflection (20 to 200 words).** What the moves changed.", "indicators": ["COM.6"]}],
    "checklist": ["The log is attached"],
}
EXEMPLAR_FIXTURE = ROOT / "tests" / "fixtures" / "listening-exemplars.yaml"


def exemplar_tree(tmp_path: Path, exemplar: str | None = None, units: dict[str, str] | None = None,
                  name: str = "listening.yaml") -> tuple[Path, Path]:
    """A content tree whose 'listening' unit has EXEMPLAR_TASK, and modules/exemplars/<name> holding
    ``exemplar`` (the fixture file's text by default)."""
    units = {"listening.md": unit_text(evidence_task=EXEMPLAR_TASK), **(units or {})}
    rubrics, modules = make_tree(tmp_path, units)
    (modules / "exemplars").mkdir()
    text = EXEMPLAR_FIXTURE.read_text(encoding="utf-8") if exemplar is None else exemplar
    (modules / "exemplars" / name).write_text(text, encoding="utf-8")
    return rubrics, modules
