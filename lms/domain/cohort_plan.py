"""A cohort's placement plan: target dates for units or domains, and where a learner stands against them.

A unit's target is met once the learner has submitted evidence for it (for a unit without an
evidence task: once they have marked it complete); a domain's target is met when every unit of the
domain is. What the assessors decide later does not make a learner late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from .content import Catalogue

UNIT, DOMAIN = "unit", "domain"
TARGET_KINDS = (UNIT, DOMAIN)


@dataclass(frozen=True)
class PlanTarget:
    """One line of a placement plan: a unit or a domain to be done by a date."""

    kind: str  # "unit" or "domain"
    ref: str  # the unit slug or the domain id
    due_on: date


@dataclass(frozen=True)
class TargetStatus:
    """A target as it applies to one learner (their extension added), and how far they are with it."""

    kind: str
    ref: str
    label: str
    due_on: date
    unit_slugs: tuple[str, ...]
    done_slugs: tuple[str, ...]

    @property
    def met(self) -> bool:
        """Every unit of the target is done."""
        return len(self.done_slugs) == len(self.unit_slugs)

    @property
    def missing_slugs(self) -> tuple[str, ...]:
        """The target's units not done yet, in course order."""
        return tuple(s for s in self.unit_slugs if s not in self.done_slugs)

    def overdue(self, today: date) -> bool:
        """Not met and its date has passed."""
        return not self.met and self.due_on < today

    def days_late(self, today: date) -> int:
        """Days since the date passed (0 when not overdue)."""
        return (today - self.due_on).days if self.overdue(today) else 0


@dataclass(frozen=True)
class LearnerPlan:
    """A learner's targets, in date order, and what follows from them today."""

    targets: tuple[TargetStatus, ...]
    today: date

    @property
    def overdue(self) -> tuple[TargetStatus, ...]:
        """Targets whose date has passed and that are not met."""
        return tuple(t for t in self.targets if t.overdue(self.today))

    @property
    def next_date(self) -> date | None:
        """The next target date from today on that still has something to do."""
        return next((t.due_on for t in self.targets if not t.met and t.due_on >= self.today), None)

    @property
    def due_next(self) -> tuple[TargetStatus, ...]:
        """The unmet targets of the next target date."""
        when = self.next_date
        return tuple(t for t in self.targets if t.due_on == when and not t.met) if when else ()

    @property
    def behind(self) -> bool:
        """True when at least one target is overdue."""
        return bool(self.overdue)


def target_label(catalogue: Catalogue, kind: str, ref: str) -> str | None:
    """The target in words ("Unit: Questioning", "Domain: Professional Dispositions"); None if unknown."""
    if kind == UNIT:
        unit = catalogue.unit(ref)
        return f"Unit: {unit.title}" if unit else None
    if kind == DOMAIN:
        domain = catalogue.framework.domain(ref)
        return f"Domain: {domain.title}" if domain else None
    return None


def target_units(catalogue: Catalogue, kind: str, ref: str) -> tuple[str, ...]:
    """The unit slugs a target covers."""
    if kind == UNIT:
        return (ref,) if catalogue.unit(ref) else ()
    return tuple(u.slug for u in catalogue.units_in_domain(ref))


def learner_plan(catalogue: Catalogue, plan: Iterable[PlanTarget], done_slugs: Iterable[str],
                 today: date, extension_days: int = 0) -> LearnerPlan:
    """Where a learner stands against the plan; their own extension moves every date later.

    Targets naming a unit or domain the course no longer has are left out.
    """
    done = set(done_slugs)
    shift = timedelta(days=max(0, extension_days))
    statuses = []
    for target in plan:
        label = target_label(catalogue, target.kind, target.ref)
        slugs = target_units(catalogue, target.kind, target.ref)
        if label is None or not slugs:
            continue
        statuses.append(TargetStatus(target.kind, target.ref, label, target.due_on + shift, slugs,
                                     tuple(s for s in slugs if s in done)))
    statuses.sort(key=lambda t: (t.due_on, t.kind != UNIT, t.label))
    return LearnerPlan(tuple(statuses), today)


def plan_problems(catalogue: Catalogue, starts_on: date, ends_on: date, plan: Iterable[PlanTarget]) -> list[str]:
    """What is wrong with a cohort's dates and plan (empty when nothing is)."""
    problems = []
    if ends_on < starts_on:
        problems.append("The end date is before the start date.")
    for target in plan:
        label = target_label(catalogue, target.kind, target.ref)
        if label is None:
            problems.append(f"There is no {target.kind} “{target.ref}” in the course.")
        elif not starts_on <= target.due_on <= ends_on:
            problems.append(f"{label}: the target date {target.due_on:%d %b %Y} is outside the cohort's dates "
                            f"({starts_on:%d %b %Y} to {ends_on:%d %b %Y}).")
    return problems
