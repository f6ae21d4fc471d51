"""Rubrics as data: the level scale, per-indicator descriptors and the competency decision rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import yamltext
from .framework import Framework
from .problems import WARNING, Problem, display_path

LEVELS_FILE = "levels.yaml"
RULES_FILE = "rules.yaml"
DESCRIPTORS_DIR = "descriptors"
DOMAIN_RULES = {"all_competencies"}
CREDENTIAL_RULES = {"all_domains"}
# The level whose descriptor must be a short list of conditions an assessor can tick, and how long.
CHECKLIST_LEVEL = "proficient"
CHECKLIST_ITEMS = (3, 5)
# Words that leave an assessor guessing how much is enough: descriptors give numbers instead.
VAGUE_WORDS = ("few", "several", "thin", "brief", "briefly", "some")
_VAGUE = re.compile(r"\b(" + "|".join(VAGUE_WORDS) + r")\b", re.IGNORECASE)


def join_sentences(items) -> str:
    """Items joined as prose: each ends with a full stop, so the result reads as sentences."""
    cleaned = [" ".join(str(item).split()) for item in items if item is not None and str(item).strip()]
    return " ".join(item if item[-1] in ".!?" else item + "." for item in cleaned)


class Descriptor(str):
    """What one level looks like for one indicator.

    A descriptor is written in the rubric files either as prose or as a list of conditions an
    assessor can check one by one. Either way it *is* a ``str`` (prose as written, a list joined
    into sentences), so code and templates that treat it as text keep working, and ``text`` gives
    that plain string for machine documents (CASE, Open Badges). ``items`` holds the conditions of
    a list (empty for prose): pages render those as a list.
    """

    items: tuple[str, ...]

    def __new__(cls, value) -> "Descriptor":
        if isinstance(value, Descriptor):
            return value
        if isinstance(value, (list, tuple)):
            items = tuple(" ".join(str(v).split()) for v in value if v is not None and str(v).strip())
            self = super().__new__(cls, join_sentences(items))
        else:
            items = ()
            self = super().__new__(cls, "" if value is None else str(value).strip())
        self.items = items
        return self

    @property
    def text(self) -> str:
        """The descriptor as one plain string (a list joined into sentences)."""
        return str.__str__(self)

    @property
    def is_list(self) -> bool:
        """True when the descriptor is a list of conditions."""
        return bool(self.items)

    def as_data(self):
        """The descriptor as written: its list of conditions, or its prose (for hashing and export)."""
        return list(self.items) if self.items else self.text


@dataclass(frozen=True)
class Level:
    """One step of the rubric scale, e.g. Proficient (value 2)."""

    id: str
    value: int
    label: str
    descriptor: str


@dataclass(frozen=True)
class CompetencyRule:
    """When a competency counts as achieved, from the best accepted level of each of its indicators.

    Every indicator must reach ``every_indicator_at_least``; and for each (level, count) in
    ``at_least``, at least ``count`` indicators must reach ``level``.
    """

    competency_id: str
    every_indicator_at_least: int
    at_least: tuple[tuple[int, int], ...] = ()

    def is_met(self, levels: list[int | None]) -> bool:
        """True when these indicator levels (None: no accepted evidence) satisfy the rule."""
        if any(level is None or level < self.every_indicator_at_least for level in levels):
            return False
        return all(sum(1 for level in levels if level >= needed) >= count for needed, count in self.at_least)


@dataclass(frozen=True)
class Rubric:
    """The scale, what each level looks like for each indicator, and the decision rules."""

    levels: tuple[Level, ...]
    descriptors: dict[str, dict[str, Descriptor]]  # indicator id -> level id -> descriptor
    rules: dict[str, CompetencyRule]
    domain_rule: str = "all_competencies"
    credential_rule: str = "all_domains"
    _by_value: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_value.update({level.value: level for level in self.levels})

    def level(self, value: int) -> Level | None:
        """The level with this stored value, or None."""
        return self._by_value.get(value)

    def level_by_id(self, level_id: str) -> Level | None:
        """The level with this id, or None."""
        return next((level for level in self.levels if level.id == level_id), None)

    def descriptor(self, indicator_id: str, value: int) -> Descriptor:
        """What this level looks like for this indicator: a ``str`` (lists joined into sentences) whose
        ``items`` are its conditions when it is written as a list; ``descriptor_text`` for a plain str."""
        level = self.level(value)
        found = self.descriptors.get(indicator_id, {}).get(level.id, "") if level else ""
        return Descriptor(found)

    def descriptor_text(self, indicator_id: str, value: int) -> str:
        """What this level looks like for this indicator, as one plain string (lists joined as sentences)."""
        return self.descriptor(indicator_id, value).text

    @property
    def lowest(self) -> Level:
        """The "not yet evident" end of the scale."""
        return self.levels[0]


def load_rubric(rubrics_dir: Path, framework: Framework | None,
                indicator_lines: dict[str, int] | None = None) -> tuple[Rubric | None, list[Problem]]:
    """Read levels, descriptors and rules and check them against the framework; never raises.

    ``indicator_lines`` (indicator id -> line in the framework file) places messages about an
    indicator that has no descriptors.
    """
    indicator_lines = indicator_lines or {}
    rubrics_dir = Path(rubrics_dir)
    problems: list[Problem] = []
    levels = _load_levels(rubrics_dir / LEVELS_FILE, problems)
    level_ids = {level.id: level for level in levels}
    descriptors = _load_descriptors(rubrics_dir / DESCRIPTORS_DIR, framework, level_ids, problems)
    rules, domain_rule, credential_rule = _load_rules(rubrics_dir / RULES_FILE, framework, level_ids, problems)
    if framework is not None and levels:
        for indicator in framework.indicators:
            if indicator.id not in descriptors:
                problems.append(Problem(framework.path, indicator_lines.get(indicator.id, 1),
                                        f"indicator {indicator.id} has no rubric descriptors "
                                        f"(add it to {display_path(rubrics_dir / DESCRIPTORS_DIR)}/"
                                        f"{indicator.domain_id}.yaml)"))
    if any(p.severity != WARNING for p in problems) or not levels:
        return None, problems
    return Rubric(tuple(levels), descriptors, rules, domain_rule, credential_rule), problems


def _parse(path: Path, problems: list[Problem]):
    shown = display_path(path)
    try:
        return yamltext.parse(path.read_text(encoding="utf-8")), shown
    except FileNotFoundError:
        problems.append(Problem(shown, 1, "file not found"))
    except UnicodeDecodeError:
        problems.append(Problem(shown, 1, "file is not valid UTF-8"))
    except yamltext.YamlSyntaxError as exc:
        problems.append(Problem(shown, exc.line, str(exc)))
    return None, shown


def _load_levels(path: Path, problems: list[Problem]) -> list[Level]:
    located, shown = _parse(path, problems)
    if located is None:
        return []
    raw = located.data.get("levels") if isinstance(located.data, dict) else None
    if not isinstance(raw, list) or len(raw) < 4:
        problems.append(Problem(shown, located.line("levels"), "'levels' must list at least four levels"))
        return []
    levels: list[Level] = []
    for index, item in enumerate(raw):
        key = f"levels[{index}]"
        if not isinstance(item, dict):
            problems.append(Problem(shown, located.line(key), "a level must be a mapping"))
            continue
        missing = [f for f in ("id", "value", "label", "descriptor") if item.get(f) in (None, "")]
        if missing:
            problems.append(Problem(shown, located.line(key), f"level is missing {', '.join(missing)}"))
            continue
        if not isinstance(item["value"], int) or item["value"] != index:
            problems.append(Problem(shown, located.line(f"{key}.value"),
                                    f"level values must count up from 0 in order; expected {index}"))
            continue
        levels.append(Level(str(item["id"]), item["value"], str(item["label"]), str(item["descriptor"]).strip()))
    if len({level.id for level in levels}) != len(levels):
        problems.append(Problem(shown, located.line("levels"), "level ids must be unique"))
    return levels


def _load_descriptors(folder: Path, framework, level_ids: dict, problems: list[Problem]) -> dict:
    descriptors: dict[str, dict[str, str]] = {}
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        problems.append(Problem(display_path(folder), 1, "no rubric descriptor files (*.yaml) found"))
    for path in files:
        located, shown = _parse(path, problems)
        if located is None:
            continue
        if not isinstance(located.data, dict):
            problems.append(Problem(shown, 1, "descriptors must map indicator ids to levels"))
            continue
        for indicator_id, by_level in located.data.items():
            line = located.line(str(indicator_id))
            if framework is not None and framework.indicator(str(indicator_id)) is None:
                problems.append(Problem(shown, line, f"unknown indicator '{indicator_id}'"))
                continue
            if indicator_id in descriptors:
                problems.append(Problem(shown, line, f"descriptors for {indicator_id} are given twice"))
                continue
            if not isinstance(by_level, dict):
                problems.append(Problem(shown, line, f"{indicator_id} must map each level id to a descriptor"))
                continue
            for level_id in by_level:
                if level_ids and level_id not in level_ids:
                    problems.append(Problem(shown, located.line(f"{indicator_id}.{level_id}"),
                                            f"unknown level '{level_id}' (known: {', '.join(level_ids)})"))
            parsed: dict[str, Descriptor] = {}
            for level_id, value in by_level.items():
                where = located.line(f"{indicator_id}.{level_id}")
                if isinstance(value, list):
                    if not all(isinstance(v, str) and v.strip() for v in value):
                        problems.append(Problem(shown, where, f"{indicator_id} {level_id}: each item of the "
                                                              f"list must be a non-empty sentence"))
                        continue
                elif isinstance(value, dict):
                    problems.append(Problem(shown, where, f"{indicator_id} {level_id}: a descriptor is a "
                                                          f"sentence or a list of sentences"))
                    continue
                descriptor = Descriptor(value)
                if descriptor:
                    parsed[str(level_id)] = descriptor
                    _check_descriptor(shown, where, str(indicator_id), str(level_id), descriptor, problems)
            missing = [lid for lid in level_ids if lid not in parsed]
            if missing:
                problems.append(Problem(shown, line, f"{indicator_id} has no descriptor for "
                                                     f"{', '.join(missing)}"))
            descriptors[str(indicator_id)] = parsed
    return descriptors


def _check_descriptor(shown: str, line: int, indicator_id: str, level_id: str, descriptor: Descriptor,
                      problems: list[Problem]) -> None:
    """Quality rules `content check` enforces: Proficient is a short checklist; no vague quantities."""
    low, high = CHECKLIST_ITEMS
    if level_id == CHECKLIST_LEVEL and not low <= len(descriptor.items) <= high:
        problems.append(Problem(shown, line, f"{indicator_id} {level_id}: write it as a list of {low} to {high} "
                                             f"conditions an assessor can check (found "
                                             f"{len(descriptor.items) or 'prose'})", WARNING))
    vague = sorted({m.group(1).lower() for m in _VAGUE.finditer(descriptor.text)})
    if vague:
        problems.append(Problem(shown, line, f"{indicator_id} {level_id}: say how many instead of "
                                             f"{', '.join(repr(w) for w in vague)}", WARNING))


def _load_rules(path: Path, framework, level_ids: dict, problems: list[Problem]):
    located, shown = _parse(path, problems)
    rules: dict[str, CompetencyRule] = {}
    if located is None or not isinstance(located.data, dict):
        if located is not None:
            problems.append(Problem(shown, 1, "rules must be a mapping with 'competencies'"))
        return rules, "all_competencies", "all_domains"
    data = located.data
    raw = data.get("competencies")
    if not isinstance(raw, dict):
        problems.append(Problem(shown, located.line("competencies"), "'competencies' must map ids to rules"))
        raw = {}
    for comp_id, rule in raw.items():
        key = f"competencies.{comp_id}"
        if framework is not None and framework.competency(str(comp_id)) is None:
            problems.append(Problem(shown, located.line(key), f"unknown competency '{comp_id}'"))
            continue
        if not isinstance(rule, dict) or rule.get("every_indicator_at_least") not in level_ids:
            problems.append(Problem(shown, located.line(key), f"rule for {comp_id} needs "
                                    f"'every_indicator_at_least' set to a level id ({', '.join(level_ids)})"))
            continue
        unknown = set(rule) - {"every_indicator_at_least", "at_least"}
        if unknown:
            problems.append(Problem(shown, located.line(key), f"unknown rule field(s) {', '.join(sorted(unknown))}"))
        if "at_least" in rule:
            # An indicator accepted below a higher 'at_least' level could only be raised by reopening
            # that task for this purpose, which does not exist yet: without it the rule is a dead end.
            problems.append(Problem(shown, located.line(f"{key}.at_least"),
                                    f"rule for {comp_id}: 'at_least' is not supported yet (a learner could "
                                    f"not reach it after their evidence was accepted); use only "
                                    f"'every_indicator_at_least'"))
            continue
        at_least = []
        for index, clause in enumerate(rule.get("at_least") or []):
            if not (isinstance(clause, dict) and clause.get("level") in level_ids
                    and isinstance(clause.get("count"), int) and clause["count"] >= 1):
                problems.append(Problem(shown, located.line(f"{key}.at_least[{index}]"),
                                        "each 'at_least' entry needs a level id and a count of 1 or more"))
                continue
            at_least.append((level_ids[clause["level"]].value, clause["count"]))
        rules[str(comp_id)] = CompetencyRule(str(comp_id), level_ids[rule["every_indicator_at_least"]].value,
                                             tuple(at_least))
    if framework is not None:
        for competency in framework.competencies:
            if competency.id not in rules and competency.id not in raw:
                problems.append(Problem(shown, located.line("competencies"),
                                        f"competency {competency.id} has no decision rule"))
    domain_rule = data.get("domains", "all_competencies")
    credential_rule = data.get("credential", "all_domains")
    if domain_rule not in DOMAIN_RULES:
        problems.append(Problem(shown, located.line("domains"), f"'domains' must be one of {sorted(DOMAIN_RULES)}"))
    if credential_rule not in CREDENTIAL_RULES:
        problems.append(Problem(shown, located.line("credential"),
                                f"'credential' must be one of {sorted(CREDENTIAL_RULES)}"))
    return rules, domain_rule, credential_rule
