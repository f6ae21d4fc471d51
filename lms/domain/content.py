"""The course content as a whole: framework plus units, loaded and cross-checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .framework import Framework, load_framework
from .problems import ERROR, WARNING, Problem, display_path
from .badge_classes import BadgeClassDef, load_badge_classes
from .calibration import CalibrationBank, coverage_problems, load_calibration
from .exemplars import ExemplarSet, load_exemplars
from .rubrics import Rubric, load_rubric
from .units import Unit, parse_unit

FRAMEWORK_FILE = "framework.yaml"
# Files in modules/ that are documentation for authors, not units.
NOT_UNITS = {"README.md"}


@dataclass(frozen=True)
class Catalogue:
    """Everything the course is made of, immutable once loaded; units in course order."""

    framework: Framework
    units: tuple[Unit, ...]
    rubric: Rubric
    badge_classes: tuple[BadgeClassDef, ...] = ()
    calibration: CalibrationBank = CalibrationBank()  # exemplars for assessors; never shown to learners
    # Teaching exemplars for learners (modules/exemplars/); separate from the calibration bank.
    exemplar_sets: tuple[ExemplarSet, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_slug", {u.slug: u for u in self.units})
        object.__setattr__(self, "_badges", {b.id: b for b in self.badge_classes})
        object.__setattr__(self, "_exemplars", {s.unit_slug: s for s in self.exemplar_sets})

    def exemplars(self, slug: str) -> ExemplarSet | None:
        """The teaching exemplars of this unit's task, or None when it has none (yet)."""
        return self._exemplars.get(slug)

    def badge_class(self, badge_id: str) -> BadgeClassDef | None:
        """The badge class with this id, or None."""
        return self._badges.get(badge_id)

    def badge_class_for(self, kind: str, target_id: str) -> BadgeClassDef | None:
        """The badge class awarded for a competency, a domain or the credential."""
        return next((b for b in self.badge_classes if b.kind == kind and b.target_id == target_id), None)

    def unit(self, slug: str) -> Unit | None:
        """The unit with this slug, or None."""
        return self._by_slug.get(slug)

    def units_in_domain(self, domain_id: str) -> tuple[Unit, ...]:
        """The units of one domain, in course order (orientation units belong to none)."""
        return tuple(u for u in self.units if u.domain_id == domain_id and not u.is_orientation)

    @property
    def task_units(self) -> tuple[Unit, ...]:
        """The units that have an evidence task, in course order."""
        return tuple(u for u in self.units if u.task is not None)

    @property
    def orientation_units(self) -> tuple[Unit, ...]:
        """The orientation units (no domain, no task), in course order."""
        return tuple(u for u in self.units if u.is_orientation)

    def units_for_indicator(self, indicator_id: str) -> tuple[Unit, ...]:
        """Units whose evidence task asks for this indicator."""
        return tuple(u for u in self.units if indicator_id in u.evidenced_ids)

    def neighbours(self, slug: str) -> tuple[Unit | None, Unit | None]:
        """The units before and after this one in course order."""
        index = [u.slug for u in self.units].index(slug)
        before = self.units[index - 1] if index > 0 else None
        after = self.units[index + 1] if index + 1 < len(self.units) else None
        return before, after


@dataclass
class ContentReport:
    """The outcome of loading content: a catalogue when usable, and every problem found."""

    catalogue: Catalogue | None
    problems: list[Problem] = field(default_factory=list)
    unit_count: int = 0
    indicators_evidenced: int = 0
    indicators_total: int = 0
    tasks_with_exemplars: int = 0
    task_count: int = 0

    @property
    def errors(self) -> list[Problem]:
        """Problems that make the content unusable."""
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        """Quality problems the app can run with."""
        return [p for p in self.problems if p.severity == WARNING]

    def summary(self) -> str:
        """The one-line summary printed by `content check`."""
        return (f"content: {self.unit_count} units, {self.indicators_evidenced}/{self.indicators_total} "
                f"indicators evidenced, {self.tasks_with_exemplars}/{self.task_count} tasks with exemplars, "
                f"{len(self.problems)} problems")

    def lines(self) -> list[str]:
        """Every problem as ``path:line: message``, then the summary line."""
        return [str(p) for p in self.problems] + [self.summary()]


def load_content(rubrics_dir: Path, modules_dir: Path, badges_dir: Path | None = None) -> ContentReport:
    """Load the framework, rubrics, badge classes and every unit, and check them against each other."""
    framework_load = load_framework(Path(rubrics_dir) / FRAMEWORK_FILE)
    framework = framework_load.framework
    problems = list(framework_load.problems)
    rubric, rubric_problems = load_rubric(Path(rubrics_dir), framework, framework_load.lines)
    problems.extend(rubric_problems)
    badge_classes, badge_problems = load_badge_classes(Path(badges_dir), framework) if badges_dir else ((), [])
    problems.extend(badge_problems)

    modules_dir = Path(modules_dir)
    units: list[Unit] = []
    paths = sorted(p for p in modules_dir.glob("*.md") if p.name not in NOT_UNITS) if modules_dir.is_dir() else []
    if not paths:
        problems.append(Problem(display_path(modules_dir), 1, "no unit files (*.md) found"))
    for path in paths:
        unit, unit_problems = parse_unit(path, framework)
        problems.extend(unit_problems)
        if unit is not None:
            units.append(unit)

    problems.extend(_duplicate_orders(units))
    slugs = {u.slug for u in units} | {p.stem for p in paths}
    for unit in units:
        for link in unit.links:
            if link.target_slug not in slugs:
                problems.append(Problem(unit.path, link.line,
                                        f"link to '{link.target_slug}.md' goes nowhere: there is no such unit"))

    units.sort(key=lambda u: (u.order, u.slug))
    calibration, calibration_problems = load_calibration(Path(rubrics_dir), units, rubric)
    problems.extend(calibration_problems + coverage_problems(calibration, units, Path(rubrics_dir)))
    exemplar_sets, exemplar_problems = load_exemplars(modules_dir, Path(rubrics_dir), units, framework, rubric)
    problems.extend(exemplar_problems)
    evidenced = {i for u in units for i in u.evidenced_ids}
    total = 0
    if framework is not None:
        total = len(framework.indicators)
        for indicator in framework.indicators:
            if indicator.id not in evidenced:
                problems.append(Problem(framework.path, framework_load.lines.get(indicator.id, 1),
                                        f"indicator {indicator.id} is not asked for by any evidence task", WARNING))

    problems.sort(key=lambda p: (p.path, p.line, p.message))
    usable = framework is not None and rubric is not None and not any(p.severity == ERROR for p in problems)
    return ContentReport(
        catalogue=(Catalogue(framework, tuple(units), rubric, badge_classes, calibration, exemplar_sets)
                   if usable else None),
        problems=problems,
        unit_count=len(units),
        indicators_evidenced=len(evidenced & {i.id for i in framework.indicators}) if framework else 0,
        indicators_total=total,
        tasks_with_exemplars=len(exemplar_sets),
        task_count=sum(1 for u in units if u.task is not None),
    )


def _duplicate_orders(units: list[Unit]) -> list[Problem]:
    first: dict[int, Unit] = {}
    problems = []
    for unit in sorted(units, key=lambda u: u.path):
        if unit.order in first:
            other = first[unit.order]
            problems.append(Problem(unit.path, unit.order_line,
                                    f"order {unit.order} is also used by {other.path}"))
        else:
            first[unit.order] = unit
    return problems
