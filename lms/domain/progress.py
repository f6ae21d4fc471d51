"""A learner's path through the course: progress per domain, the next unit, where to resume."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .content import Catalogue
from .framework import Domain
from .units import Unit


@dataclass(frozen=True)
class DomainProgress:
    """How far a learner is through the units of one domain."""

    domain: Domain
    completed: int
    total: int
    minutes_left: int

    @property
    def percent(self) -> int:
        """Whole-number percentage of the domain's units completed."""
        return round(100 * self.completed / self.total) if self.total else 0


@dataclass(frozen=True)
class CourseProgress:
    """The learner's whole path: per-domain progress, the next unit and where they left off."""

    domains: tuple[DomainProgress, ...]
    completed_slugs: frozenset[str]
    next_unit: Unit | None
    resume_unit: Unit | None
    last_completed: Unit | None

    @property
    def completed(self) -> int:
        """Units completed in the whole course."""
        return sum(d.completed for d in self.domains)

    @property
    def total(self) -> int:
        """Units in the whole course."""
        return sum(d.total for d in self.domains)


def course_progress(catalogue: Catalogue, completions: dict[str, datetime]) -> CourseProgress:
    """Progress from the learner's completions (unit slug -> when completed); unknown slugs are ignored."""
    done = frozenset(slug for slug in completions if catalogue.unit(slug) is not None)
    domains = []
    for domain in catalogue.framework.domains:
        units = catalogue.units_in_domain(domain.id)
        domains.append(DomainProgress(
            domain=domain,
            completed=sum(1 for u in units if u.slug in done),
            total=len(units),
            minutes_left=sum(u.minutes for u in units if u.slug not in done),
        ))
    # Orientation units are not counted per domain, but the learner is still pointed to them first.
    next_unit = next((u for u in catalogue.units if u.slug not in done), None)
    last = max((catalogue.unit(s) for s in done), key=lambda u: (completions[u.slug], u.order), default=None)
    resume = next_unit
    if last is not None:
        # Carry on after the unit finished most recently, wrapping round to any gap left earlier.
        later = [u for u in catalogue.units if u.order > last.order and u.slug not in done]
        resume = later[0] if later else next_unit
    return CourseProgress(tuple(domains), done, next_unit, resume, last)
