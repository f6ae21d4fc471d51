"""Micro-learning units: Markdown files with YAML front matter, parsed and validated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import yamltext
from .framework import Framework
from .markdown_render import render_markdown, unit_link_target
from .problems import WARNING, Problem, display_path

MIN_WORDS = 500
MAX_WORDS = 1200
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REQUIRED_FIELDS = ("title", "domain", "competencies", "indicators", "minutes", "order", "outcomes",
                   "reflection", "evidence_task")
TASK_FIELDS = ("title", "instructions", "indicators")
# A Markdown inline link or image target: [text](target "title")
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
WORD = re.compile(r"[^\W_][\w'’-]*")


@dataclass(frozen=True)
class EvidenceTask:
    """What a unit asks the learner to submit, and which indicators it evidences."""

    title: str
    instructions: str
    instructions_html: str
    indicator_ids: tuple[str, ...]


@dataclass(frozen=True)
class UnitLink:
    """A link from a unit's body to another unit, with the line it stands on."""

    target_slug: str
    line: int


@dataclass(frozen=True)
class Unit:
    """One self-paced micro-learning unit, with its body rendered once to safe HTML."""

    slug: str
    path: str
    title: str
    domain_id: str
    competency_ids: tuple[str, ...]
    indicator_ids: tuple[str, ...]
    minutes: int
    order: int
    outcomes: tuple[str, ...]
    reflection: str
    task: EvidenceTask
    html: str
    word_count: int
    links: tuple[UnitLink, ...] = field(default=(), compare=False)
    order_line: int = field(default=1, compare=False)


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Split a unit file into (front matter, body, line where the body starts); None if absent."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1:]), index + 2
    return None


def count_words(markdown_text: str) -> int:
    """Words a reader reads: Markdown punctuation (#, |, -, *) does not count."""
    return len(WORD.findall(markdown_text))


def parse_unit(path: Path, framework: Framework | None) -> tuple[Unit | None, list[Problem]]:
    """Parse and validate one unit file; returns the unit (None when unusable) and its problems."""
    shown = display_path(path)
    problems: list[Problem] = []

    def fail(line: int, message: str) -> tuple[None, list[Problem]]:
        problems.append(Problem(shown, line, message))
        return None, problems

    slug = path.stem
    if not SLUG.match(slug):
        return fail(1, f"file name '{path.name}' must be lowercase words joined by hyphens, ending in .md")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return fail(line, "file is not valid UTF-8")
    split = split_front_matter(text)
    if split is None:
        return fail(1, "missing front matter: the file must start with a '---' line, then YAML, then '---'")
    front, body, body_line = split
    try:
        meta = yamltext.parse(front, line_offset=1)
    except yamltext.YamlSyntaxError as exc:
        return fail(exc.line, str(exc))
    data = meta.data
    if not isinstance(data, dict):
        return fail(2, "front matter must be a YAML mapping of fields (title: ..., domain: ...)")

    def problem(key: str, message: str, severity: str = "error") -> None:
        problems.append(Problem(shown, meta.line(key), message, severity))

    for key in data:
        if key not in REQUIRED_FIELDS:
            problem(str(key), f"unknown field '{key}' (expected: {', '.join(REQUIRED_FIELDS)})")
    for key in REQUIRED_FIELDS:
        if key not in data or data[key] in (None, "", []):
            problems.append(Problem(shown, meta.line(key, 1), f"missing field '{key}'"))

    title = _text(data, "title", problem)
    reflection = _text(data, "reflection", problem)
    minutes = _positive_int(data, "minutes", problem)
    order = _positive_int(data, "order", problem)
    outcomes = _text_list(data, "outcomes", problem)
    domain_id = _text(data, "domain", problem)
    competency_ids = _text_list(data, "competencies", problem)
    indicator_ids = _text_list(data, "indicators", problem)

    raw_task = data.get("evidence_task")
    task_title, instructions, task_indicators = "", "", ()
    if isinstance(raw_task, dict):
        for key in raw_task:
            if key not in TASK_FIELDS:
                problem(f"evidence_task.{key}", f"unknown field 'evidence_task.{key}' (expected: {', '.join(TASK_FIELDS)})")
        for key in TASK_FIELDS:
            if raw_task.get(key) in (None, "", []):
                problem("evidence_task", f"missing field 'evidence_task.{key}'")
        task_title = _text(raw_task, "title", problem, "evidence_task.")
        instructions = _text(raw_task, "instructions", problem, "evidence_task.")
        task_indicators = _text_list(raw_task, "indicators", problem, "evidence_task.")
    elif raw_task not in (None, ""):
        problem("evidence_task", "'evidence_task' must be a mapping with title, instructions and indicators")

    if framework is not None:
        _check_ids(framework, domain_id, competency_ids, indicator_ids, task_indicators, problem)
    for index, ind in enumerate(task_indicators):
        if ind not in indicator_ids and (framework is None or framework.indicator(ind)):
            problem(f"evidence_task.indicators[{index}]",
                    f"evidence task asks for '{ind}', which is not among the unit's indicators")

    words = count_words(body)
    if not MIN_WORDS <= words <= MAX_WORDS:
        problems.append(Problem(shown, body_line, f"body has {words} words; a unit has {MIN_WORDS} to {MAX_WORDS}",
                                WARNING))
    links = tuple(_unit_links(body, body_line))

    if any(p.severity != WARNING for p in problems):
        return None, problems
    unit = Unit(
        slug=slug, path=shown, title=title, domain_id=domain_id, competency_ids=competency_ids,
        indicator_ids=indicator_ids, minutes=minutes, order=order, outcomes=outcomes, reflection=reflection,
        task=EvidenceTask(task_title, instructions, render_markdown(instructions), task_indicators),
        html=render_markdown(body, unit_links=True), word_count=words, links=links,
        order_line=meta.line("order"),
    )
    return unit, problems


def _check_ids(framework, domain_id, competency_ids, indicator_ids, task_indicators, problem) -> None:
    domain = framework.domain(domain_id) if domain_id else None
    if domain_id and domain is None:
        known = ", ".join(d.id for d in framework.domains)
        problem("domain", f"unknown domain '{domain_id}' (known: {known})")
    for index, comp_id in enumerate(competency_ids):
        competency = framework.competency(comp_id)
        if competency is None:
            problem(f"competencies[{index}]", f"unknown competency '{comp_id}'")
        elif domain and competency.domain_id != domain.id:
            problem(f"competencies[{index}]",
                    f"competency '{comp_id}' belongs to domain '{competency.domain_id}', not '{domain.id}'")
    for index, ind_id in enumerate(indicator_ids):
        indicator = framework.indicator(ind_id)
        if indicator is None:
            problem(f"indicators[{index}]", f"unknown indicator '{ind_id}'")
        elif competency_ids and indicator.competency_id not in competency_ids:
            problem(f"indicators[{index}]", f"indicator '{ind_id}' belongs to competency "
                    f"'{indicator.competency_id}', which the unit does not list under competencies")
    for index, ind_id in enumerate(task_indicators):
        if framework.indicator(ind_id) is None:
            problem(f"evidence_task.indicators[{index}]", f"unknown indicator '{ind_id}'")
    for key, values in (("competencies", competency_ids), ("indicators", indicator_ids),
                        ("evidence_task.indicators", task_indicators)):
        seen = set()
        for index, value in enumerate(values):
            if value in seen:
                problem(f"{key}[{index}]", f"'{value}' is listed twice")
            seen.add(value)


def _text(data: dict, key: str, problem, prefix: str = "") -> str:
    value = data.get(key)
    if value in (None, ""):
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        problem(prefix + key, f"'{prefix}{key}' must be text")
        return ""
    return str(value).strip()


def _positive_int(data: dict, key: str, problem) -> int:
    value = data.get(key)
    if value in (None, ""):
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problem(key, f"'{key}' must be a whole number of 1 or more, not {value!r}")
        return 0
    return value


def _text_list(data: dict, key: str, problem, prefix: str = "") -> tuple[str, ...]:
    value = data.get(key)
    if value in (None, "", []):
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        problem(prefix + key, f"'{prefix}{key}' must be a list")
        return ()
    items = []
    for index, item in enumerate(value):
        if isinstance(item, (dict, list)) or item is None or not str(item).strip():
            problem(f"{prefix}{key}[{index}]", f"item {index + 1} of '{prefix}{key}' must be non-empty text")
            continue
        items.append(str(item).strip())
    return tuple(items)


def _unit_links(body: str, first_line: int):
    in_fence = False
    for offset, line in enumerate(body.splitlines()):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for match in LINK.finditer(line):
            slug = unit_link_target(match.group(1))
            if slug is not None:
                yield UnitLink(slug, first_line + offset)
