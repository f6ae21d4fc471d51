"""Teaching exemplars: annotated example submissions that learners read before writing their own.

One file per unit with an evidence task, ``modules/exemplars/<unit-slug>.yaml`` (the format is in
modules/README.md): exactly one accepted example and at least one returned "not yet", each with
every indicator of the task annotated at a rubric level. They are a teaching set, separate from the
assessors' calibration bank in rubrics/calibration/ (lms/domain/calibration.py): the bank never reads
these files, and a paragraph that also appears in the bank is refused here.

A task without a file is fine (it only lowers the "tasks with exemplars" count); a file that breaks
a rule is reported as ``path:line: message`` and not shown to learners. Every problem is a quality
problem (a warning): the app runs without that unit's exemplars and `content check` fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import yamltext
from .framework import Framework
from .markdown_render import render_markdown
from .problems import WARNING, Problem, display_path
from .rubrics import Rubric
from .units import SLUG, Unit, count_words

EXEMPLARS_DIR = "exemplars"  # inside modules/
CALIBRATION_DIR = "calibration"  # inside rubrics/: read only to refuse shared paragraphs
ACCEPTED, NOT_YET = "accepted", "not_yet"
OUTCOMES = (ACCEPTED, NOT_YET)
FILE_FIELDS = ("unit", "exemplars")
EXEMPLAR_FIELDS = ("outcome", "title", "situation", "attachments", "text", "annotations", "feedback")
ATTACHMENT_FIELDS = ("name", "description")
ANNOTATION_FIELDS = ("indicator", "level", "note")
# A paragraph shorter than this (a heading, "Attached.") may match anything; it is not compared.
MIN_SHARED_WORDS = 8
LEAD_IN = re.compile(r"^\s*\*\*(.+?)\*\*")
HEADING = re.compile(r"^###\s+(.+?)\s*#*\s*$")
PARENTHESES = re.compile(r"\([^)]*\)")


@dataclass(frozen=True)
class Attachment:
    """A file the example learner attached, described in words (the file itself is not shipped)."""

    name: str
    description: str


@dataclass(frozen=True)
class Annotation:
    """Where an example stands on one indicator: the level, and why, in the descriptor's terms."""

    indicator_id: str
    level_id: str
    level_value: int
    note: str


@dataclass(frozen=True)
class TeachingExemplar:
    """One example submission, as the learner typed it, with its annotations (and feedback if not yet)."""

    outcome: str
    title: str
    situation: str
    attachments: tuple[Attachment, ...]
    text: str
    text_html: str  # rendered and sanitised once, at load
    annotations: tuple[Annotation, ...]
    feedback: str = ""
    feedback_html: str = ""

    @property
    def accepted(self) -> bool:
        return self.outcome == ACCEPTED


@dataclass(frozen=True)
class ExemplarSet:
    """The teaching exemplars of one unit's task: the accepted one first, then those returned not yet."""

    unit_slug: str
    path: str
    exemplars: tuple[TeachingExemplar, ...]

    @property
    def accepted(self) -> TeachingExemplar:
        return next(e for e in self.exemplars if e.accepted)

    @property
    def not_yet(self) -> tuple[TeachingExemplar, ...]:
        return tuple(e for e in self.exemplars if not e.accepted)


def heading_key(text: str) -> str:
    """How a section heading is compared with a part's lead-in: no brackets, end punctuation or case.

    ``**Reflection (400 to 600 words).**`` is matched by ``### Reflection (400 to 600 words)`` and by
    ``### Reflection``.
    """
    text = PARENTHESES.sub(" ", text.replace("*", ""))
    return " ".join(text.split()).strip(" .:;,-–—").casefold()


def part_heading(prompt: str, number: int) -> str:
    """The heading a part's section takes: the prompt's bold lead-in words, else "Part N"."""
    match = LEAD_IN.match(prompt)
    return match.group(1).strip().rstrip(".:").strip() if match else f"Part {number}"


def normalise_paragraph(text: str) -> str:
    """A paragraph reduced to its words, for comparing text across files whatever the Markdown or quotes."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"(?m)^\s*(?:[-*+]|\d+[.)])\s+", " ", text)
    text = re.sub(r"[#*_>|`~\"]", " ", text)
    return " ".join(text.split()).casefold()


def paragraphs(text: str) -> list[tuple[int, str]]:
    """The blank-line separated paragraphs of a text: (0-based line where each starts, its text)."""
    found, current, start = [], [], 0
    for index, line in enumerate(text.splitlines()):
        if line.strip():
            if not current:
                start = index
            current.append(line)
        elif current:
            found.append((start, "\n".join(current)))
            current = []
    if current:
        found.append((start, "\n".join(current)))
    return found


def calibration_text(rubrics_dir: Path) -> tuple[str, list[str]]:
    """All text in the calibration bank's files, normalised, and its own long paragraphs.

    Read as plain YAML, without the bank's loader: whatever the bank holds, exemplars must not share it.
    """
    folder = Path(rubrics_dir) / CALIBRATION_DIR
    pieces: list[str] = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError, OSError):
            continue
        pieces.extend(_strings(data))
    blocks = [normalise_paragraph(p) for piece in pieces for _, p in paragraphs(piece)]
    long_blocks = [b for b in blocks if len(b.split()) >= MIN_SHARED_WORDS]
    return "\n".join(blocks), long_blocks


def _strings(data):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def load_exemplars(modules_dir: Path, rubrics_dir: Path, units, framework: Framework | None,
                   rubric: Rubric | None) -> tuple[tuple[ExemplarSet, ...], list[Problem]]:
    """Read modules/exemplars/*.yaml and check each file against its unit's task; never raises.

    Returns the sets that break no rule, in course order of their units, and every problem found.
    """
    folder = Path(modules_dir) / EXEMPLARS_DIR
    problems: list[Problem] = []
    if not folder.is_dir() or rubric is None:
        return (), problems
    by_slug = {u.slug: u for u in units}
    calibration, calibration_blocks = calibration_text(rubrics_dir)
    sets: list[ExemplarSet] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path.suffix != ".yaml":
            if path.name != "README.md" and not path.name.startswith("."):
                problems.append(Problem(display_path(path), 1, "an exemplar file is named <unit-slug>.yaml",
                                        WARNING))
            continue
        found, file_problems = parse_exemplar_file(path, by_slug, framework, rubric, calibration,
                                                   calibration_blocks)
        problems.extend(file_problems)
        if found is not None and not file_problems:
            sets.append(found)
    order = {u.slug: i for i, u in enumerate(units)}
    sets.sort(key=lambda s: order.get(s.unit_slug, len(order)))
    return tuple(sets), problems


def parse_exemplar_file(path: Path, by_slug: dict[str, Unit], framework: Framework | None, rubric: Rubric,
                        calibration: str = "", calibration_blocks: list[str] | tuple[str, ...] = ()
                        ) -> tuple[ExemplarSet | None, list[Problem]]:
    """Parse and check one exemplar file; the set is None when the file cannot be read at all."""
    shown = display_path(path)
    problems: list[Problem] = []

    add = _Reporter(shown, problems)

    try:
        raw_text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        add(path.read_bytes()[: exc.start].count(b"\n") + 1, "file is not valid UTF-8")
        return None, problems
    try:
        located = yamltext.parse(raw_text)
    except yamltext.YamlSyntaxError as exc:
        add(exc.line, str(exc))
        return None, problems
    data = located.data
    if not isinstance(data, dict):
        add(1, "an exemplar file is a mapping with 'unit' (the unit's file name without .md) and 'exemplars'")
        return None, problems
    for key in data:
        if key not in FILE_FIELDS:
            add(located.line(str(key)), f"unknown field '{key}' (expected: {', '.join(FILE_FIELDS)})")

    slug = path.stem
    if not SLUG.match(slug):
        add(1, f"file name '{path.name}' must be a unit's slug: lowercase words joined by hyphens, then .yaml")
    unit_value = data.get("unit")
    if unit_value in (None, ""):
        add(1, f"missing field 'unit' (here: 'unit: {slug}')")
    elif str(unit_value) != slug:
        add(located.line("unit"), f"'unit: {unit_value}' does not match the file name: the file for "
                                  f"{unit_value} is {unit_value}.yaml, or this file's unit is '{slug}'")
    unit = by_slug.get(slug)
    if unit is None:
        add(located.line("unit"), f"there is no unit '{slug}' (modules/{slug}.md)")
        return None, problems
    if unit.task is None:
        add(located.line("unit"), f"unit '{slug}' has no evidence task, so it has no exemplars")
        return None, problems

    raw_list = data.get("exemplars")
    if not isinstance(raw_list, list) or not raw_list:
        add(located.line("exemplars"), "'exemplars' must be a list: one accepted example and at least one "
                                       "returned not yet")
        return None, problems
    exemplars = []
    for index, raw in enumerate(raw_list):
        exemplar = _exemplar(raw, f"exemplars[{index}]", located, raw_text, unit, framework, rubric, add)
        if exemplar is not None:
            exemplars.append(exemplar)
        if isinstance(raw, dict):
            _shared_with_calibration(raw, f"exemplars[{index}]", located, raw_text, calibration,
                                     calibration_blocks, add)

    outcomes = [raw.get("outcome") for raw in raw_list if isinstance(raw, dict)]
    accepted_count = outcomes.count(ACCEPTED)
    if accepted_count != 1:
        add(located.line("exemplars"), f"the file has {accepted_count} accepted examples; it needs exactly one")
    if NOT_YET not in outcomes:
        add(located.line("exemplars"), "the file has no example returned not yet; it needs at least one")
    if problems:
        return None, problems
    exemplars.sort(key=lambda e: not e.accepted)
    return ExemplarSet(slug, shown, tuple(exemplars)), problems


def _exemplar(raw, key: str, located, raw_text: str, unit: Unit, framework, rubric: Rubric,
              add) -> TeachingExemplar | None:
    line = located.line(key)
    number = int(key[key.index("[") + 1:-1]) + 1
    if not isinstance(raw, dict):
        add(line, f"example {number} must be a mapping with {', '.join(EXEMPLAR_FIELDS)}")
        return None
    before = len(add)
    for name in raw:
        if name not in EXEMPLAR_FIELDS:
            add(located.line(f"{key}.{name}"), f"unknown field '{name}' in example {number} "
                                               f"(expected: {', '.join(EXEMPLAR_FIELDS)})")
    outcome = raw.get("outcome")
    if outcome not in OUTCOMES:
        add(located.line(f"{key}.outcome", line), f"example {number}: 'outcome' must be accepted or not_yet, "
                                                   f"not {outcome!r}")
    texts = {}
    for name in ("title", "situation", "text"):
        value = raw.get(name)
        if not isinstance(value, str) or not value.strip():
            add(located.line(f"{key}.{name}", line), f"example {number} needs '{name}' (text)")
            value = ""
        texts[name] = value.strip()
    feedback = raw.get("feedback")
    if outcome == NOT_YET and (not isinstance(feedback, str) or not feedback.strip()):
        add(located.line(f"{key}.feedback", line), f"example {number} was returned not yet: it needs "
                                                   "'feedback', the assessor's note on what to add")
    if outcome == ACCEPTED and feedback not in (None, ""):
        add(located.line(f"{key}.feedback"), f"example {number} was accepted: 'feedback' is only for an "
                                             "example returned not yet")
    feedback = feedback.strip() if isinstance(feedback, str) else ""

    attachments = _attachments(raw, key, number, located, line, add)
    annotations = _annotations(raw, key, number, located, line, unit, framework, rubric, outcome, add)
    if texts["text"]:
        _sections(texts["text"], raw.get("text"), key, number, located, raw_text, unit, add)
        words = count_words(raw["text"])
        task = unit.task
        if (task.min_words and words < task.min_words) or (task.max_words and words > task.max_words):
            wanted = (f"{task.min_words} to {task.max_words}" if task.min_words and task.max_words
                      else f"at least {task.min_words}" if task.min_words else f"at most {task.max_words}")
            add(located.line(f"{key}.text", line), f"example {number}'s text has {words} words; the task asks "
                                                   f"for {wanted} in the evidence form")
    if len(add) > before:
        return None
    return TeachingExemplar(
        outcome=outcome, title=" ".join(texts["title"].split()), situation=" ".join(texts["situation"].split()),
        attachments=attachments, text=texts["text"], text_html=render_markdown(shift_headings(texts["text"])),
        annotations=annotations, feedback=" ".join(feedback.split()) if feedback else "",
        feedback_html=render_markdown(feedback) if feedback else "",
    )


class _Reporter:
    """Records a file's problems as warnings; its length is how many it has recorded so far."""

    def __init__(self, shown: str, problems: list[Problem]):
        self.shown, self.problems = shown, problems

    def __call__(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.shown, line, message, WARNING))

    def __len__(self) -> int:
        return len(self.problems)


def _attachments(raw: dict, key: str, number: int, located, line: int, add) -> tuple[Attachment, ...]:
    if "attachments" not in raw:
        add(line, f"example {number} needs 'attachments': the files the learner attached, described "
                  "(write 'attachments: []' when there are none)")
        return ()
    value = raw.get("attachments")
    if value is None or value == []:
        return ()
    if not isinstance(value, list):
        add(located.line(f"{key}.attachments"), f"example {number}: 'attachments' must be a list of files, "
                                                 "each with 'name' and 'description'")
        return ()
    found = []
    for index, item in enumerate(value):
        item_key = f"{key}.attachments[{index}]"
        if not isinstance(item, dict):
            add(located.line(item_key), f"example {number}, attachment {index + 1}: give its 'name' and "
                                        "'description'")
            continue
        for name in item:
            if name not in ATTACHMENT_FIELDS:
                add(located.line(f"{item_key}.{name}"), f"unknown field '{name}' in an attachment "
                                                        f"(expected: {', '.join(ATTACHMENT_FIELDS)})")
        values = []
        for name in ATTACHMENT_FIELDS:
            text = item.get(name)
            if not isinstance(text, str) or not text.strip():
                add(located.line(item_key), f"example {number}, attachment {index + 1} needs '{name}' (text)")
                text = ""
            values.append(" ".join(text.split()))
        found.append(Attachment(*values))
    return tuple(found)


def _annotations(raw: dict, key: str, number: int, located, line: int, unit: Unit, framework, rubric: Rubric,
                 outcome, add) -> tuple[Annotation, ...]:
    task_ids = unit.task.indicator_ids
    value = raw.get("annotations")
    if not isinstance(value, list) or not value:
        add(located.line(f"{key}.annotations", line), f"example {number} needs 'annotations': one for each "
                                                      f"indicator the task evidences ({', '.join(task_ids)})")
        return ()
    found: list[Annotation] = []
    seen: set[str] = set()
    order: list[str] = []  # the indicators annotated, as listed
    for index, item in enumerate(value):
        item_key = f"{key}.annotations[{index}]"
        if not isinstance(item, dict):
            add(located.line(item_key), f"example {number}, annotation {index + 1} must be a mapping with "
                                        f"{', '.join(ANNOTATION_FIELDS)}")
            continue
        for name in item:
            if name not in ANNOTATION_FIELDS:
                add(located.line(f"{item_key}.{name}"), f"unknown field '{name}' in an annotation "
                                                        f"(expected: {', '.join(ANNOTATION_FIELDS)})")
        indicator_id = str(item.get("indicator") or "").strip()
        if not indicator_id:
            add(located.line(item_key), f"example {number}, annotation {index + 1} needs 'indicator'")
            continue
        if indicator_id not in task_ids:
            add(located.line(f"{item_key}.indicator"), f"example {number}: '{indicator_id}' is not evidenced by "
                                                       f"the task of {unit.slug} (it evidences {', '.join(task_ids)})")
            continue
        if indicator_id in seen:
            add(located.line(f"{item_key}.indicator"), f"example {number}: {indicator_id} is annotated twice")
            continue
        seen.add(indicator_id)
        order.append(indicator_id)
        level_id = str(item.get("level") or "").strip()
        level = rubric.level_by_id(level_id)
        if level is None:
            known = ", ".join(lv.id for lv in rubric.levels)
            add(located.line(f"{item_key}.level", located.line(item_key)),
                f"example {number}, {indicator_id}: unknown level '{level_id}' (known: {known})")
            continue
        note = item.get("note")
        if not isinstance(note, str) or not note.strip():
            add(located.line(f"{item_key}.note", located.line(item_key)),
                f"example {number}, {indicator_id} needs a 'note' saying where the text meets the descriptor")
            note = ""
        found.append(Annotation(indicator_id, level.id, level.value, " ".join(note.split())))
    missing = [i for i in task_ids if i not in seen]
    if missing:
        add(located.line(f"{key}.annotations"), f"example {number} does not annotate {', '.join(missing)}: "
                                                f"annotate every indicator the task evidences")
    elif order != list(task_ids):
        add(located.line(f"{key}.annotations"), f"example {number}: put the annotations in the task's order "
                                                f"({', '.join(task_ids)})")
    if len(found) == len(task_ids) and outcome in OUTCOMES:
        below = [a for a in found if a.level_value < required_level(a.indicator_id, framework, rubric)]
        if outcome == ACCEPTED:
            for annotation in below:
                index = [a.indicator_id for a in found].index(annotation.indicator_id)
                needed = rubric.level(required_level(annotation.indicator_id, framework, rubric))
                add(located.line(f"{key}.annotations[{index}].level"),
                    f"example {number} is accepted, but {annotation.indicator_id} is at {annotation.level_id}, "
                    f"below {needed.id if needed else 'the level'} its competency requires")
        elif not below:
            add(located.line(f"{key}.outcome", line),
                f"example {number} was returned not yet, but every indicator is at or above the level its "
                "competency requires: at least one must be below it")
    return tuple(found)


def required_level(indicator_id: str, framework: Framework | None, rubric: Rubric) -> int:
    """The level value an indicator must reach for evidence to be accepted (its competency's rule)."""
    indicator = framework.indicator(indicator_id) if framework is not None else None
    rule = rubric.rules.get(indicator.competency_id) if indicator is not None else None
    if rule is not None:
        return rule.every_indicator_at_least
    proficient = rubric.level_by_id("proficient")
    return proficient.value if proficient else 0


def _text_start_line(located, raw_text: str, key: str) -> int | None:
    """The file line where a block scalar's text starts (``text: |``), None when it is not one."""
    key_line = located.lines.get(key)
    if key_line is None:
        return None
    lines = raw_text.splitlines()
    if key_line - 1 < len(lines) and re.search(r":\s*\|[-+0-9]*\s*(#.*)?$", lines[key_line - 1]):
        return key_line + 1
    return None


def _sections(text: str, raw, key: str, number: int, located, raw_text: str, unit: Unit, add) -> None:
    """A ``###`` section for each task part, headed by the part's lead-in, in the task's order."""
    start = _text_start_line(located, raw_text, f"{key}.text")
    text_line = located.line(f"{key}.text")
    expected = [part_heading(p.prompt, i + 1) for i, p in enumerate(unit.task.parts)]
    wanted = {heading_key(h): h for h in expected}
    found: list[str] = []
    in_fence = False
    for offset, line in enumerate(str(raw).splitlines()):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else HEADING.match(line)
        if not match:
            continue
        heading = heading_key(match.group(1))
        if heading in wanted:
            found.append(heading)
        else:
            add(start + offset if start else text_line,
                f"example {number}: '### {match.group(1)}' is not a part of the task; the sections are "
                + ", ".join(f"'### {h}'" for h in expected) + " (use #### inside a section)")
    missing = [h for h in expected if heading_key(h) not in found]
    if missing:
        add(text_line, f"example {number}'s text has no section for "
                       + ", ".join(f"'### {h}'" for h in missing) + ": one ### heading per task part")
    elif [h for h in found] != [heading_key(h) for h in expected]:
        add(text_line, f"example {number}'s sections are not once each in the task's order: "
                       + ", ".join(f"'### {h}'" for h in expected))


def _shared_with_calibration(raw: dict, key: str, located, raw_text: str, calibration: str,
                             calibration_blocks, add) -> None:
    """Refuse any paragraph that also appears in the calibration bank, in either direction."""
    if not calibration:
        return
    number = int(key[key.index("[") + 1:-1]) + 1
    fields = [("title", raw.get("title")), ("situation", raw.get("situation")), ("text", raw.get("text")),
              ("feedback", raw.get("feedback"))]
    for index, item in enumerate(raw.get("annotations") or []):
        if isinstance(item, dict):
            fields.append((f"annotations[{index}].note", item.get("note")))
    for index, item in enumerate(raw.get("attachments") or []):
        if isinstance(item, dict):
            fields.append((f"attachments[{index}].description", item.get("description")))
    for name, value in fields:
        if not isinstance(value, str):
            continue
        start = _text_start_line(located, raw_text, f"{key}.{name}")
        for offset, paragraph in paragraphs(value):
            words = normalise_paragraph(paragraph)
            if not words:
                continue
            shared = (len(words.split()) >= MIN_SHARED_WORDS and words in calibration) or any(
                block in words for block in calibration_blocks)
            if shared:
                add(start + offset if start else located.line(f"{key}.{name}"),
                    f"example {number}: this paragraph also appears in the calibration bank (rubrics/"
                    f"{CALIBRATION_DIR}/); exemplars are written afresh and never share text with it")


def shift_headings(markdown_text: str) -> str:
    """Every ATX heading one level down (### becomes ####), for text shown under a page's own h3."""
    lines, in_fence = [], False
    for line in markdown_text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if not in_fence and re.match(r"^#{1,5}\s", line):
            line = "#" + line
        lines.append(line)
    return "\n".join(lines)


def descriptor_conditions(descriptor) -> tuple[str, ...]:
    """A rubric descriptor as the conditions it lists: one for a sentence, several for a list.

    Descriptors are read through the rubric (``Rubric.descriptor``); a level may be described in a
    paragraph or as a list of checkable conditions, and a page shows either.
    """
    if descriptor is None:
        return ()
    items = getattr(descriptor, "items", None)  # a rubric Descriptor (a str) written as a list keeps its items
    if isinstance(items, (list, tuple)) and items:
        return tuple(c for item in items for c in descriptor_conditions(item))
    if isinstance(descriptor, str):
        return (descriptor.strip(),) if descriptor.strip() else ()
    conditions = getattr(descriptor, "conditions", None)
    if conditions is not None and not callable(conditions):
        return descriptor_conditions(list(conditions))
    if isinstance(descriptor, dict):
        descriptor = list(descriptor.values())
    try:
        items = list(descriptor)
    except TypeError:
        text = str(descriptor).strip()
        return (text,) if text else ()
    return tuple(c for item in items for c in descriptor_conditions(item))
