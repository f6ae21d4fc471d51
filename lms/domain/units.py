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
# A course unit teaches a practice and asks for evidence of it; an orientation unit (such as
# planning the placement) only prepares the learner: no domain, no task, not counted in progress.
UNIT, ORIENTATION = "unit", "orientation"
KINDS = (UNIT, ORIENTATION)
COMMON_FIELDS = ("title", "minutes", "order", "outcomes", "reflection", "key_method", "research")
REQUIRED_FIELDS = ("title", "domain", "competencies", "minutes", "order", "outcomes", "reflection",
                   "key_method", "research", "evidence_task")
OPTIONAL_FIELDS = ("kind", "teaches")
ORIENTATION_FIELDS = COMMON_FIELDS
TASK_FIELDS = ("title", "instructions", "indicators", "effort_hours", "min_words", "max_words", "parts",
               "checklist")
REQUIRED_TASK_FIELDS = ("title", "instructions", "indicators", "effort_hours", "max_words", "parts", "checklist")
PART_FIELDS = ("prompt", "indicators")
REFERENCE_FIELDS = ("authors", "year", "title", "published_in", "doi", "isbn", "url")
RESEARCH_HEADING = "Research behind this unit"
RESEARCH_SECTION = re.compile(r"^##\s+Research behind this unit\s*$", re.MULTILINE | re.IGNORECASE)
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
# A Markdown inline link or image target: [text](target "title")
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
WORD = re.compile(r"[^\W_][\w'’-]*")


@dataclass(frozen=True)
class TaskPart:
    """One part of an evidence task: what to do or submit, and the indicators it asks for."""

    prompt: str
    prompt_html: str
    indicator_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvidenceTask:
    """What a unit asks the learner to submit, and which indicators it evidences.

    ``min_words``/``max_words`` bound the text typed into the evidence form; a task whose main
    text is an upload sets no minimum. ``checklist`` lists what a complete submission holds: the
    learner ticks each item before submitting and the assessor sees the ticks.
    """

    title: str
    instructions: str
    instructions_html: str
    indicator_ids: tuple[str, ...]
    effort_hours: float | None = None
    min_words: int | None = None
    max_words: int | None = None
    parts: tuple[TaskPart, ...] = ()
    checklist: tuple[str, ...] = ()

    def parts_asking_for(self, indicator_id: str) -> tuple[TaskPart, ...]:
        """The parts of the task that ask for evidence of this indicator."""
        return tuple(p for p in self.parts if indicator_id in p.indicator_ids)


@dataclass(frozen=True)
class Reference:
    """A published work a unit draws on, with enough detail for anyone to find and check it."""

    authors: str
    year: int
    title: str
    published_in: str
    doi: str = ""
    isbn: str = ""
    url: str = ""

    @property
    def link(self) -> str:
        """Where to find the work online: its DOI resolver address, else its URL, else nothing."""
        return f"https://doi.org/{self.doi}" if self.doi else self.url

    def __str__(self) -> str:
        found = f" https://doi.org/{self.doi}" if self.doi else (f" ISBN {self.isbn}" if self.isbn else "")
        if not self.doi and self.url:
            found += f" {self.url}"
        return f"{self.authors} ({self.year}). {self.title}. {self.published_in}.{found}"


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
    # Every indicator the unit serves: those its task evidences, then those it only teaches.
    indicator_ids: tuple[str, ...]
    minutes: int
    order: int
    outcomes: tuple[str, ...]
    reflection: str
    task: EvidenceTask | None
    html: str
    word_count: int
    links: tuple[UnitLink, ...] = field(default=(), compare=False)
    order_line: int = field(default=1, compare=False)
    kind: str = UNIT
    taught_ids: tuple[str, ...] = ()
    key_method: str = ""
    research: tuple[Reference, ...] = ()

    @property
    def is_orientation(self) -> bool:
        """True for a unit that prepares the learner and has no domain, task or place in progress."""
        return self.kind == ORIENTATION

    @property
    def evidenced_ids(self) -> tuple[str, ...]:
        """The indicators this unit's task asks the learner to evidence (none for orientation)."""
        return self.task.indicator_ids if self.task else ()


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

    kind = _text(data, "kind", problem) or UNIT
    if kind not in KINDS:
        problem("kind", f"unknown kind '{kind}' (expected: {', '.join(KINDS)})")
        kind = UNIT
    if kind == ORIENTATION:
        allowed, required = ("kind",) + ORIENTATION_FIELDS, ORIENTATION_FIELDS
    else:
        allowed, required = REQUIRED_FIELDS + OPTIONAL_FIELDS, REQUIRED_FIELDS
    for key in data:
        if key not in allowed:
            if key == "indicators":
                problem(str(key), "'indicators' is replaced by two lists: 'evidence_task.indicators' (what the task "
                        "evidences) and 'teaches' (what the unit only teaches)")
            elif kind == ORIENTATION and key in REQUIRED_FIELDS + OPTIONAL_FIELDS:
                problem(str(key), f"an orientation unit has no '{key}': it sits outside the domains and has no task")
            else:
                problem(str(key), f"unknown field '{key}' (expected: {', '.join(allowed)})")
    for key in required:
        if (key not in data or data[key] in (None, "", [])):
            problems.append(Problem(shown, meta.line(key, 1), f"missing field '{key}'"))

    title = _text(data, "title", problem)
    reflection = _text(data, "reflection", problem)
    key_method = _text(data, "key_method", problem)
    minutes = _positive_int(data, "minutes", problem)
    order = _positive_int(data, "order", problem)
    outcomes = _text_list(data, "outcomes", problem)
    research = _references(data.get("research"), problem)
    domain_id = competency_ids = taught_ids = task = None
    if kind == UNIT:
        domain_id = _text(data, "domain", problem)
        competency_ids = _text_list(data, "competencies", problem)
        taught_ids = _text_list(data, "teaches", problem)
        task = _task(data.get("evidence_task"), problem)

    words = count_words(body)
    if not MIN_WORDS <= words <= MAX_WORDS:
        problems.append(Problem(shown, body_line, f"body has {words} words; a unit has {MIN_WORDS} to {MAX_WORDS}",
                                WARNING))
    if not RESEARCH_SECTION.search(body):
        problems.append(Problem(shown, body_line, f"the body has no '## {RESEARCH_HEADING}' section: say in the "
                                "learner's own terms what the research in 'research' found", WARNING))
    links = tuple(_unit_links(body, body_line))

    if kind == UNIT:
        task_indicators = task.indicator_ids if task else ()
        if framework is not None:
            _check_ids(framework, domain_id, competency_ids, task_indicators, taught_ids, problem)
        for index, ind in enumerate(taught_ids):
            if ind in task_indicators:
                problem(f"teaches[{index}]", f"'{ind}' is evidenced by the task: list it under "
                        "'evidence_task.indicators' only, not under 'teaches'")
        if task is not None:
            for index, part in enumerate(task.parts):
                for j, ind in enumerate(part.indicator_ids):
                    if ind not in task_indicators:
                        problem(f"evidence_task.parts[{index}].indicators[{j}]",
                                f"part {index + 1} asks for '{ind}', which the task does not evidence "
                                "(add it to 'evidence_task.indicators' or remove it from the part)")
            if task.parts:
                for index, ind in enumerate(task_indicators):
                    if not task.parts_asking_for(ind):
                        problem(f"evidence_task.indicators[{index}]",
                                f"the task evidences '{ind}' but none of its parts asks for it: add a part "
                                "whose 'indicators' include it", WARNING)

    if any(p.severity != WARNING for p in problems):
        return None, problems
    indicator_ids = (task.indicator_ids + taught_ids) if task else ()
    unit = Unit(
        slug=slug, path=shown, title=title, domain_id=domain_id or "", competency_ids=competency_ids or (),
        indicator_ids=indicator_ids, minutes=minutes, order=order, outcomes=outcomes, reflection=reflection,
        task=task, html=render_markdown(body, unit_links=True), word_count=words, links=links,
        order_line=meta.line("order"), kind=kind, taught_ids=taught_ids or (), key_method=key_method,
        research=research,
    )
    return unit, problems


def _task(raw_task, problem) -> EvidenceTask | None:
    """The evidence task from its front matter mapping, reporting every problem with it."""
    if raw_task in (None, ""):
        return None
    if not isinstance(raw_task, dict):
        problem("evidence_task", "'evidence_task' must be a mapping with title, instructions, indicators, "
                "effort_hours, max_words, parts and checklist")
        return None
    for key in raw_task:
        if key not in TASK_FIELDS:
            problem(f"evidence_task.{key}", f"unknown field 'evidence_task.{key}' (expected: {', '.join(TASK_FIELDS)})")
    for key in REQUIRED_TASK_FIELDS:
        if raw_task.get(key) in (None, "", []):
            problem("evidence_task", f"missing field 'evidence_task.{key}'")
    title = _text(raw_task, "title", problem, "evidence_task.")
    instructions = _text(raw_task, "instructions", problem, "evidence_task.")
    indicators = _text_list(raw_task, "indicators", problem, "evidence_task.")
    effort = _effort_hours(raw_task, problem)
    min_words = _optional_positive_int(raw_task, "min_words", problem, "evidence_task.")
    max_words = _optional_positive_int(raw_task, "max_words", problem, "evidence_task.")
    if min_words and max_words and min_words > max_words:
        problem("evidence_task.min_words", f"'evidence_task.min_words' ({min_words}) is more than "
                f"'evidence_task.max_words' ({max_words})")
    parts = _parts(raw_task.get("parts"), problem)
    checklist = _text_list(raw_task, "checklist", problem, "evidence_task.")
    return EvidenceTask(title, instructions, render_markdown(instructions), indicators, effort, min_words,
                        max_words, parts, checklist)


def _parts(raw, problem) -> tuple[TaskPart, ...]:
    if raw in (None, "", []):
        return ()
    if not isinstance(raw, list):
        problem("evidence_task.parts", "'evidence_task.parts' must be a list of parts, each with a prompt "
                "and the indicators it asks for")
        return ()
    parts = []
    for index, item in enumerate(raw):
        key = f"evidence_task.parts[{index}]"
        if not isinstance(item, dict):
            problem(key, f"part {index + 1} must be a mapping with 'prompt' and 'indicators'")
            continue
        for field_name in item:
            if field_name not in PART_FIELDS:
                problem(f"{key}.{field_name}", f"unknown field '{field_name}' in part {index + 1} "
                        f"(expected: {', '.join(PART_FIELDS)})")
        prompt = _text(item, "prompt", problem, key + ".")
        if not prompt:
            problem(key, f"part {index + 1} has no 'prompt'")
        indicators = _text_list(item, "indicators", problem, key + ".")
        parts.append(TaskPart(prompt, render_markdown(prompt), indicators))
    return tuple(parts)


def _references(raw, problem) -> tuple[Reference, ...]:
    """The unit's research references; each must be specific enough for a reader to check it."""
    if raw in (None, "", []):
        return ()
    if not isinstance(raw, list):
        problem("research", "'research' must be a list of references (authors, year, title, published_in, "
                "and a doi, isbn or url)")
        return ()
    references = []
    for index, item in enumerate(raw):
        key = f"research[{index}]"
        if not isinstance(item, dict):
            problem(key, f"reference {index + 1} must be a mapping with authors, year, title, published_in "
                    "and a doi, isbn or url")
            continue
        for field_name in item:
            if field_name not in REFERENCE_FIELDS:
                problem(f"{key}.{field_name}", f"unknown field '{field_name}' in reference {index + 1} "
                        f"(expected: {', '.join(REFERENCE_FIELDS)})")
        values = {name: _text(item, name, problem, key + ".") for name in REFERENCE_FIELDS if name != "year"}
        for name in ("authors", "title", "published_in"):
            if not values[name]:
                problem(key, f"reference {index + 1} has no '{name}'")
        year = item.get("year")
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100:
            problem(f"{key}.year" if "year" in item else key,
                    f"reference {index + 1} needs a 'year' of publication as four digits, not {year!r}")
            year = 0
        if not (values["doi"] or values["isbn"] or values["url"]):
            problem(key, f"reference {index + 1} needs a 'doi', 'isbn' or 'url' so that a reader can find it")
        if values["doi"] and not DOI.match(values["doi"]):
            problem(f"{key}.doi", f"'{values['doi']}' is not a DOI (it starts 10. and has a slash; "
                    "leave out https://doi.org/)")
        if values["url"] and not URL.match(values["url"]):
            problem(f"{key}.url", f"'{values['url']}' is not a web address starting http:// or https://")
        if values["isbn"] and not isbn_valid(values["isbn"]):
            problem(f"{key}.isbn", f"'{values['isbn']}' is not a valid ISBN (check digit does not match)")
        references.append(Reference(values["authors"], year, values["title"], values["published_in"],
                                    values["doi"], values["isbn"], values["url"]))
    return tuple(references)


def isbn_valid(isbn: str) -> bool:
    """True when an ISBN-10 or ISBN-13 (hyphens and spaces allowed) has a correct check digit."""
    digits = re.sub(r"[\s-]", "", isbn).upper()
    if re.fullmatch(r"\d{9}[\dX]", digits):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        return total % 11 == 0
    if re.fullmatch(r"\d{13}", digits):
        total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(digits))
        return total % 10 == 0
    return False


def _check_ids(framework, domain_id, competency_ids, task_indicators, taught_ids, problem) -> None:
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
    for key, ids in (("evidence_task.indicators", task_indicators), ("teaches", taught_ids)):
        for index, ind_id in enumerate(ids):
            indicator = framework.indicator(ind_id)
            if indicator is None:
                problem(f"{key}[{index}]", f"unknown indicator '{ind_id}'")
            elif competency_ids and indicator.competency_id not in competency_ids:
                problem(f"{key}[{index}]", f"indicator '{ind_id}' belongs to competency "
                        f"'{indicator.competency_id}', which the unit does not list under competencies")
    for key, values in (("competencies", competency_ids), ("teaches", taught_ids),
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


def _optional_positive_int(data: dict, key: str, problem, prefix: str = "") -> int | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problem(prefix + key, f"'{prefix}{key}' must be a whole number of 1 or more, not {value!r}")
        return None
    return value


def _effort_hours(data: dict, problem) -> float | None:
    value = data.get("effort_hours")
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 100:
        problem("evidence_task.effort_hours", "'evidence_task.effort_hours' must be a number of hours "
                f"above 0 (for example 3 or 1.5), not {value!r}")
        return None
    return value


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
