"""A cohort's figures: progress per domain, the funnel, who is behind, indicator difficulty, turnaround.

Pure functions over plain values that the reports service reads from the database, so that each
figure can be checked by hand on a small cohort. Also the tables as rows for CSV and XLSX, made
safe to open in a spreadsheet.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Mapping

from .cohort_plan import PlanTarget, learner_plan
from .content import Catalogue
from .framework import Framework

FUNNEL_STAGES = (
    ("enrolled", "Enrolled"),
    ("started", "Started the course"),
    ("submitted", "Submitted evidence"),
    ("accepted", "Had evidence accepted"),
    ("badge", "Earned a badge"),
    ("credential", "Earned the credential"),
)
# Turnaround bands, in hours from submission to decision.
TURNAROUND_BANDS = ((24, "within 1 day"), (72, "1 to 3 days"), (168, "3 to 7 days"), (336, "7 to 14 days"),
                    (None, "over 14 days"))
@dataclass(frozen=True)
class FunnelStep:
    """How many of the cohort reached one stage."""

    key: str
    label: str
    count: int
    percent: int  # of those enrolled


def funnel(enrolled: Iterable[int], reached: Mapping[str, Iterable[int]]) -> tuple[FunnelStep, ...]:
    """The funnel from the ids enrolled and, per stage key, the ids that reached it (others ignored)."""
    members = set(enrolled)
    steps = []
    for key, label in FUNNEL_STAGES:
        count = len(members) if key == "enrolled" else len(members & set(reached.get(key, ())))
        steps.append(FunnelStep(key, label, count, round(100 * count / len(members)) if members else 0))
    return tuple(steps)


@dataclass(frozen=True)
class HeatCell:
    """A learner's accepted units out of the units with evidence in one domain."""

    domain_id: str
    accepted: int
    total: int

    @property
    def percent(self) -> int:
        """Whole-number percentage."""
        return round(100 * self.accepted / self.total) if self.total else 0

    @property
    def band(self) -> int:
        """0 (nothing) to 4 (all), for shading."""
        if not self.accepted:
            return 0
        return 4 if self.accepted >= self.total else 1 + min(2, 3 * self.accepted // self.total)


@dataclass(frozen=True)
class HeatRow:
    """One learner's line of the heat map."""

    user_id: int
    name: str
    cells: tuple[HeatCell, ...]


def assessed_units(catalogue: Catalogue) -> dict[str, tuple[str, ...]]:
    """Per domain, the units whose evidence is assessed (units without an evidence task are left out)."""
    return {d.id: tuple(u.slug for u in catalogue.units_in_domain(d.id) if getattr(u, "task", None) is not None)
            for d in catalogue.framework.domains}


def heat_row(catalogue: Catalogue, user_id: int, name: str, accepted_slugs: Iterable[str]) -> HeatRow:
    """One learner's progress per domain: units with accepted evidence out of those assessed."""
    accepted = set(accepted_slugs)
    cells = tuple(HeatCell(domain_id, sum(1 for s in slugs if s in accepted), len(slugs))
                  for domain_id, slugs in assessed_units(catalogue).items())
    return HeatRow(user_id, name, cells)


@dataclass(frozen=True)
class BehindRow:
    """A learner with target dates passed and work not done."""

    user_id: int
    name: str
    overdue: int  # targets overdue
    earliest_due: date
    days_late: int
    missing: tuple[str, ...]  # the overdue targets, in words
    extension_days: int


@dataclass(frozen=True)
class Member:
    """A learner of the cohort as the reports need them."""

    user_id: int
    name: str
    extension_days: int = 0


def behind(catalogue: Catalogue, members: Iterable[Member], plan: Iterable[PlanTarget],
           done: Mapping[int, Iterable[str]], today: date) -> tuple[BehindRow, ...]:
    """Learners behind their target dates (their own extensions counted), most days late first."""
    plan = list(plan)
    rows = []
    for member in members:
        status = learner_plan(catalogue, plan, done.get(member.user_id, ()), today, member.extension_days)
        late = status.overdue
        if late:
            rows.append(BehindRow(member.user_id, member.name, len(late), late[0].due_on, late[0].days_late(today),
                                  tuple(t.label for t in late), member.extension_days))
    return tuple(sorted(rows, key=lambda r: (-r.days_late, -r.overdue, r.name, r.user_id)))


@dataclass(frozen=True)
class IndicatorCounts:
    """Decisions on evidence for one indicator, across the cohort."""

    indicator_id: str
    decisions: int
    not_yet: int
    learners: int


@dataclass(frozen=True)
class DifficultyRow:
    """How hard an indicator proves: the share of its decisions that were "not yet", attempts per learner."""

    indicator_id: str
    statement: str
    decisions: int
    not_yet: int
    learners: int

    @property
    def not_yet_percent(self) -> int:
        """Whole-number percentage of decisions that were "not yet"."""
        return round(100 * self.not_yet / self.decisions) if self.decisions else 0

    @property
    def attempts_per_learner(self) -> float:
        """Decisions per learner assessed on it, to one decimal (1.0: everyone got there first time)."""
        return round(self.decisions / self.learners, 1) if self.learners else 0.0


def difficulty(framework: Framework, counts: Iterable[IndicatorCounts]) -> tuple[DifficultyRow, ...]:
    """Assessed indicators, hardest first (highest share of "not yet", then most attempts), in framework order on ties."""
    order = {i.id: n for n, i in enumerate(framework.indicators)}
    rows = []
    for c in counts:
        indicator = framework.indicator(c.indicator_id)
        if indicator is None or not c.decisions:
            continue
        rows.append(DifficultyRow(c.indicator_id, indicator.statement, c.decisions, c.not_yet, c.learners))
    return tuple(sorted(rows, key=lambda r: (-r.not_yet / r.decisions, -r.attempts_per_learner,
                                             order.get(r.indicator_id, 0))))


@dataclass(frozen=True)
class Turnaround:
    """How long evidence waits for a decision."""

    decided: int
    median_hours: float | None
    p90_hours: float | None
    bands: tuple[tuple[str, int], ...]
    waiting: int
    oldest_waiting_hours: float | None


def _hours(delta) -> float:
    return delta.total_seconds() / 3600


def turnaround(decisions: Iterable[tuple[datetime, datetime]], waiting_since: Iterable[datetime],
               now: datetime) -> Turnaround:
    """From (submitted, decided) pairs and the submission times still waiting: median, 90th percentile, bands."""
    hours = sorted(_hours(decided - submitted) for submitted, decided in decisions)
    bands = []
    lower = 0.0
    for upper, label in TURNAROUND_BANDS:
        bands.append((label, sum(1 for h in hours if h >= lower and (upper is None or h < upper))))
        lower = upper or 0.0
    waits = [_hours(now - since) for since in waiting_since]
    median = round(statistics.median(hours), 1) if hours else None
    if len(hours) >= 2:
        p90 = round(statistics.quantiles(hours, n=10, method="inclusive")[8], 1)
    else:
        p90 = round(hours[0], 1) if hours else None
    return Turnaround(len(hours), median, p90, tuple(bands), len(waits), round(max(waits), 1) if waits else None)


# Tables for download ------------------------------------------------------------------------------

Table = tuple[tuple[str, ...], list[tuple]]


def funnel_table(steps: Iterable[FunnelStep]) -> Table:
    """The funnel as a table."""
    return ("Stage", "Learners", "Percent of enrolled"), [(s.label, s.count, s.percent) for s in steps]


def heatmap_table(framework: Framework, rows: Iterable[HeatRow]) -> Table:
    """The heat map as a table: accepted units per domain, and the percentage."""
    headers = ["Learner"]
    for d in framework.domains:
        headers += [f"{d.title}: units accepted", f"{d.title}: percent"]
    body = []
    for row in rows:
        line: list = [row.name]
        for cell in row.cells:
            line += [f"{cell.accepted} of {cell.total}", cell.percent]
        body.append(tuple(line))
    return tuple(headers), body


def behind_table(rows: Iterable[BehindRow]) -> Table:
    """Who is behind, as a table."""
    return (("Learner", "Targets overdue", "Earliest target date", "Days late", "Extension (days)", "Overdue"),
            [(r.name, r.overdue, r.earliest_due.isoformat(), r.days_late, r.extension_days, "; ".join(r.missing))
             for r in rows])


def difficulty_table(rows: Iterable[DifficultyRow]) -> Table:
    """Indicator difficulty as a table."""
    return (("Indicator", "Statement", "Decisions", "Not yet", "Percent not yet", "Learners", "Attempts per learner"),
            [(r.indicator_id, r.statement, r.decisions, r.not_yet, r.not_yet_percent, r.learners,
              r.attempts_per_learner) for r in rows])


def turnaround_table(t: Turnaround) -> Table:
    """Assessment turnaround as a table of figures."""
    rows: list[tuple] = [("Decisions", t.decided), ("Median hours to a decision", t.median_hours),
                         ("90th percentile, hours", t.p90_hours)]
    rows += [(f"Decided {label}", count) for label, count in t.bands]
    rows += [("Waiting now", t.waiting), ("Longest wait now, hours", t.oldest_waiting_hours)]
    return ("Figure", "Value"), rows
