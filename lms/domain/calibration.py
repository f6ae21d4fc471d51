"""The calibration bank: exemplar submissions with agreed levels, loaded and checked against the content.

Each file in rubrics/calibration/ holds the exemplars of one unit's evidence task. An exemplar records
the version of the task text and of the task's descriptors its levels were agreed against (short
content hashes); `content check` warns when either has changed since, so the levels can be re-agreed.
The bank is for assessors only: nothing here is ever shown to learners.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from . import yamltext
from .problems import WARNING, Problem, display_path
from .rubrics import Rubric
from .units import Unit

CALIBRATION_DIR = "calibration"
HASH_LENGTH = 12
# The bank the issue asks for: at least this many exemplars for each of this many tasks, over every domain.
MIN_EXEMPLARS_PER_TASK = 2
MIN_TASKS = 5
EXEMPLAR_FIELDS = ("id", "agreed_against", "evidence", "levels", "rationale")


@dataclass(frozen=True)
class Exemplar:
    """One exemplar submission with the agreed level of every indicator of its task."""

    id: str
    unit_slug: str
    evidence: str  # Markdown, written by the team
    agreed_levels: tuple[tuple[str, int], ...]  # (indicator id, level value), in task order
    rationale: str
    task_version: str
    descriptors_version: str
    path: str = field(default="", compare=False)
    line: int = field(default=1, compare=False)

    def agreed_level(self, indicator_id: str) -> int | None:
        """The agreed level value for this indicator, or None when the task does not ask for it."""
        return dict(self.agreed_levels).get(indicator_id)


@dataclass(frozen=True)
class CalibrationBank:
    """Every usable exemplar, in file order."""

    exemplars: tuple[Exemplar, ...] = ()

    def exemplar(self, exemplar_id: str) -> Exemplar | None:
        """The exemplar with this id, or None."""
        return next((e for e in self.exemplars if e.id == exemplar_id), None)

    def unit_slugs(self) -> tuple[str, ...]:
        """The units whose tasks have exemplars, in order of first appearance."""
        return tuple(dict.fromkeys(e.unit_slug for e in self.exemplars))


def _digest(data) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def task_version(unit: Unit) -> str:
    """A short content hash of what the learner is asked to do: title, instructions, parts, indicators."""
    task = unit.task
    return _digest({
        "title": task.title, "instructions": task.instructions, "indicators": list(task.indicator_ids),
        "parts": [[p.prompt, list(p.indicator_ids)] for p in getattr(task, "parts", ())],
        "checklist": list(getattr(task, "checklist", ())),
    })


def descriptors_version(rubric: Rubric, indicator_ids: tuple[str, ...]) -> str:
    """A short content hash of the level scale and the descriptors of these indicators."""
    return _digest({
        "levels": [[level.id, level.value] for level in rubric.levels],
        "descriptors": {i: rubric.descriptors.get(i, {}) for i in indicator_ids},
    })


def select_exemplars(bank: CalibrationBank, already_scored: set[str], count: int) -> list[Exemplar]:
    """Exemplars for a new round: ones not scored before, spread over as many tasks as possible."""
    fresh = [e for e in bank.exemplars if e.id not in already_scored]
    chosen: list[Exemplar] = []
    # Round-robin over the tasks, so a round of three sees three different tasks when it can.
    by_unit: dict[str, list[Exemplar]] = {}
    for exemplar in fresh:
        by_unit.setdefault(exemplar.unit_slug, []).append(exemplar)
    while len(chosen) < count and any(by_unit.values()):
        for queue in by_unit.values():
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return chosen


def load_calibration(rubrics_dir: Path, units: list[Unit] | tuple[Unit, ...],
                     rubric: Rubric | None) -> tuple[CalibrationBank, list[Problem]]:
    """Read rubrics/calibration/*.yaml and check each exemplar against its unit's task; never raises."""
    folder = Path(rubrics_dir) / CALIBRATION_DIR
    problems: list[Problem] = []
    if not folder.is_dir():
        return CalibrationBank(), problems
    by_slug = {u.slug: u for u in units}
    exemplars: list[Exemplar] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        exemplars.extend(_load_file(path, by_slug, rubric, seen, problems))
    return CalibrationBank(tuple(exemplars)), problems


def coverage_problems(bank: CalibrationBank, units: list[Unit] | tuple[Unit, ...], rubrics_dir: Path) -> list[Problem]:
    """A warning unless the bank has enough exemplars for enough tasks, over every domain with a task."""
    folder = Path(rubrics_dir) / CALIBRATION_DIR
    if not folder.is_dir():
        return []
    by_slug = {u.slug: u for u in units}
    counts: dict[str, int] = {}
    for exemplar in bank.exemplars:
        counts[exemplar.unit_slug] = counts.get(exemplar.unit_slug, 0) + 1
    full = [slug for slug, n in counts.items() if n >= MIN_EXEMPLARS_PER_TASK]
    domains = {by_slug[slug].domain_id for slug in full}
    all_domains = {u.domain_id for u in by_slug.values() if u.task is not None and u.domain_id}
    if len(full) < MIN_TASKS or not all_domains <= domains:
        missing = ", ".join(sorted(all_domains - domains)) or "none"
        return [Problem(display_path(folder), 1,
                        f"the calibration bank has {MIN_EXEMPLARS_PER_TASK} or more exemplars for {len(full)} "
                        f"task(s); it needs at least {MIN_TASKS} such tasks covering every domain "
                        f"(domains without: {missing})", WARNING)]
    return []


def _load_file(path: Path, by_slug: dict[str, Unit], rubric: Rubric | None, seen: dict[str, str],
               problems: list[Problem]) -> list[Exemplar]:
    shown = display_path(path)
    try:
        located = yamltext.parse(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        problems.append(Problem(shown, 1, "file is not valid UTF-8"))
        return []
    except yamltext.YamlSyntaxError as exc:
        problems.append(Problem(shown, exc.line, str(exc)))
        return []
    data = located.data
    if not isinstance(data, dict) or not isinstance(data.get("exemplars"), list):
        problems.append(Problem(shown, 1, "a calibration file needs 'unit' (a unit's file name without .md) "
                                          "and 'exemplars' (a list)"))
        return []
    slug = str(data.get("unit") or "")
    unit = by_slug.get(slug)
    if unit is None or unit.task is None:
        problems.append(Problem(shown, located.line("unit"), f"'unit: {slug}' is not a unit with an evidence task"))
        return []
    unknown = set(data) - {"unit", "exemplars"}
    for key in sorted(unknown, key=str):
        problems.append(Problem(shown, located.line(str(key)), f"unknown field '{key}' (expected: unit, exemplars)"))
    current_task = task_version(unit)
    current_descriptors = descriptors_version(rubric, unit.task.indicator_ids) if rubric else ""
    result = []
    for index, raw in enumerate(data["exemplars"]):
        key = f"exemplars[{index}]"
        exemplar = _exemplar(raw, key, located, shown, unit, rubric, current_task, current_descriptors, problems)
        if exemplar is None:
            continue
        if exemplar.id in seen:
            problems.append(Problem(shown, exemplar.line, f"exemplar id '{exemplar.id}' is also used in "
                                                          f"{seen[exemplar.id]}"))
            continue
        seen[exemplar.id] = f"{shown}:{exemplar.line}"
        result.append(exemplar)
    return result


def _exemplar(raw, key: str, located, shown: str, unit: Unit, rubric: Rubric | None, current_task: str,
              current_descriptors: str, problems: list[Problem]) -> Exemplar | None:
    line = located.line(key)
    if not isinstance(raw, dict):
        problems.append(Problem(shown, line, "an exemplar must be a mapping with " + ", ".join(EXEMPLAR_FIELDS)))
        return None
    errors_before = len(problems)
    for name in raw:
        if name not in EXEMPLAR_FIELDS:
            problems.append(Problem(shown, located.line(f"{key}.{name}"),
                                    f"unknown field '{name}' (expected: {', '.join(EXEMPLAR_FIELDS)})"))
    for name in ("id", "evidence", "rationale"):
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            problems.append(Problem(shown, located.line(f"{key}.{name}", line), f"exemplar needs '{name}' (text)"))
    exemplar_id = str(raw.get("id") or "").strip()

    levels = raw.get("levels")
    agreed: list[tuple[str, int]] = []
    if not isinstance(levels, dict):
        problems.append(Problem(shown, located.line(f"{key}.levels", line),
                                f"'levels' must give the agreed level of each of {', '.join(unit.task.indicator_ids)}"))
    else:
        level_ids = {level.id: level.value for level in rubric.levels} if rubric else {}
        for indicator_id in levels:
            if indicator_id not in unit.task.indicator_ids:
                problems.append(Problem(shown, located.line(f"{key}.levels.{indicator_id}"),
                                        f"'{indicator_id}' is not assessed by the task of {unit.slug} "
                                        f"(it assesses {', '.join(unit.task.indicator_ids)})"))
        for indicator_id in unit.task.indicator_ids:
            value = levels.get(indicator_id)
            if value is None:
                problems.append(Problem(shown, located.line(f"{key}.levels", line),
                                        f"no agreed level for {indicator_id}"))
            elif rubric and value not in level_ids:
                problems.append(Problem(shown, located.line(f"{key}.levels.{indicator_id}"),
                                        f"unknown level '{value}' (known: {', '.join(level_ids)})"))
            elif rubric:
                agreed.append((indicator_id, level_ids[value]))

    against = raw.get("agreed_against")
    hint = f"agreed_against: {{task: {current_task}, descriptors: {current_descriptors}}}"
    if not isinstance(against, dict) or not against.get("task") or not against.get("descriptors"):
        problems.append(Problem(shown, located.line(f"{key}.agreed_against", line),
                                f"exemplar {exemplar_id or index_name(key)} does not say which version of the "
                                f"task and descriptors it was agreed against; once agreed, add: {hint}", WARNING))
        against = {}
    else:
        if str(against["task"]) != current_task:
            problems.append(Problem(shown, located.line(f"{key}.agreed_against.task"),
                                    f"the task of {unit.slug} has changed since exemplar {exemplar_id} was agreed "
                                    f"(agreed against {against['task']}, now {current_task}): re-agree its levels, "
                                    f"then set agreed_against.task to {current_task}", WARNING))
        if current_descriptors and str(against["descriptors"]) != current_descriptors:
            problems.append(Problem(shown, located.line(f"{key}.agreed_against.descriptors"),
                                    f"the descriptors of {', '.join(unit.task.indicator_ids)} have changed since "
                                    f"exemplar {exemplar_id} was agreed (agreed against {against['descriptors']}, "
                                    f"now {current_descriptors}): re-agree its levels, then set "
                                    f"agreed_against.descriptors to {current_descriptors}", WARNING))
    if any(p.severity != WARNING for p in problems[errors_before:]):
        return None
    return Exemplar(id=exemplar_id, unit_slug=unit.slug, evidence=raw["evidence"].strip(),
                    agreed_levels=tuple(agreed), rationale=" ".join(raw["rationale"].split()),
                    task_version=str(against.get("task") or current_task),
                    descriptors_version=str(against.get("descriptors") or current_descriptors),
                    path=shown, line=line)


def index_name(key: str) -> str:
    """'exemplars[2]' as a person counts it: 'number 3'."""
    return f"number {int(key[key.index('[') + 1:-1]) + 1}"
