"""Roll-up: indicator levels -> competency achieved -> domain achieved -> micro-credential achieved.

Only accepted evidence counts. An indicator's level is the best level any accepted assessment
gave it, whichever task it came from, so a later "not yet" never takes an achievement away.
Achievement is computed from the rules as they are now; a rule change applies to everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from .framework import Framework
from .rubrics import Rubric

ACCEPTED = "accepted"
NOT_YET = "not_yet"

ACHIEVED = "achieved"
IN_PROGRESS = "in_progress"
NOT_STARTED = "not_started"


@dataclass(frozen=True)
class ScoredIndicator:
    """One indicator's level from one decided assessment."""

    indicator_id: str
    level: int
    outcome: str  # ACCEPTED or NOT_YET: the decision on the evidence it was part of
    decided_at: datetime


@dataclass(frozen=True)
class IndicatorResult:
    """An indicator's best accepted level (None: none yet) and when it was first reached."""

    indicator_id: str
    level: int | None
    reached_at: datetime | None
    assessed: bool  # any decision at all, accepted or not


@dataclass(frozen=True)
class CompetencyResult:
    """A competency's state under its rule, with its indicators' results."""

    competency_id: str
    state: str
    achieved_at: datetime | None
    indicators: tuple[IndicatorResult, ...]
    below_rule: tuple[str, ...]  # indicators not yet at the level the rule needs

    @property
    def achieved(self) -> bool:
        """True when the rule is met."""
        return self.state == ACHIEVED


@dataclass(frozen=True)
class DomainResult:
    """A domain is achieved when every competency in it is."""

    domain_id: str
    achieved: bool
    achieved_at: datetime | None
    competencies: tuple[CompetencyResult, ...]


@dataclass(frozen=True)
class Profile:
    """A learner's whole competency profile."""

    domains: tuple[DomainResult, ...]
    achieved: bool
    achieved_at: datetime | None

    def competency(self, competency_id: str) -> CompetencyResult | None:
        """The result for one competency."""
        return next((c for d in self.domains for c in d.competencies if c.competency_id == competency_id), None)

    def domain(self, domain_id: str) -> DomainResult | None:
        """The result for one domain."""
        return next((d for d in self.domains if d.domain_id == domain_id), None)

    @property
    def achievements(self) -> list[tuple[str, str, datetime]]:
        """Everything achieved: ("competency" | "domain" | "credential", id, when)."""
        found = [("competency", c.competency_id, c.achieved_at)
                 for d in self.domains for c in d.competencies if c.achieved]
        found += [("domain", d.domain_id, d.achieved_at) for d in self.domains if d.achieved]
        if self.achieved:
            found.append(("credential", "MCF", self.achieved_at))
        return found


@dataclass(frozen=True)
class Shortfall:
    """An indicator whose level is below the level its competency's rule requires."""

    indicator_id: str
    level: int | None
    required: int


def required_level(framework: Framework, rubric: Rubric, indicator_id: str) -> int:
    """The level an indicator must reach under its competency's rule (what "accepted" demands)."""
    return rubric.rules[framework.indicator(indicator_id).competency_id].every_indicator_at_least


def shortfalls(framework: Framework, rubric: Rubric, levels: dict[str, int | None]) -> tuple[Shortfall, ...]:
    """The indicators, in the order given, whose level (None: not given) falls short of their rule.

    "Accepted" means none: a task accepted with an indicator below its rule could never be revised,
    and the competency it belongs to could never be earned.
    """
    found = []
    for indicator_id, level in levels.items():
        needed = required_level(framework, rubric, indicator_id)
        if level is None or level < needed:
            found.append(Shortfall(indicator_id, level, needed))
    return tuple(found)


def acceptance_refusal(framework: Framework, rubric: Rubric, levels: dict[str, int | None]) -> str | None:
    """Why these levels cannot be accepted, naming each indicator that falls short; None when they can."""
    short = shortfalls(framework, rubric, levels)
    if not short:
        return None

    def label(value: int | None) -> str:
        level = rubric.level(value) if value is not None else None
        return f"“{level.label}”" if level else "no level"

    named = "; ".join(f"{s.indicator_id} is at {label(s.level)} and needs at least {label(s.required)}"
                      for s in short)
    return (f"Evidence can be accepted only when every indicator reaches the level its competency requires: "
            f"{named}. Return it “not yet” with feedback instead.")


def best_levels(scores: Iterable[ScoredIndicator]) -> dict[str, IndicatorResult]:
    """Each indicator's best accepted level and when it was first reached."""
    results: dict[str, IndicatorResult] = {}
    for score in sorted(scores, key=lambda s: s.decided_at):
        current = results.get(score.indicator_id)
        level, reached = (current.level, current.reached_at) if current else (None, None)
        if score.outcome == ACCEPTED and (level is None or score.level > level):
            level, reached = score.level, score.decided_at
        results[score.indicator_id] = IndicatorResult(score.indicator_id, level, reached, True)
    return results


def roll_up(framework: Framework, rubric: Rubric, scores: Iterable[ScoredIndicator]) -> Profile:
    """The learner's profile from every indicator score of their decided assessments."""
    scores = sorted(scores, key=lambda s: s.decided_at)
    final = best_levels(scores)
    achieved_at = _first_times_rules_met(framework, rubric, scores)
    domains = []
    for domain in framework.domains:
        competencies = []
        for competency in domain.competencies:
            rule = rubric.rules[competency.id]
            results = tuple(final.get(i.id) or IndicatorResult(i.id, None, None, False)
                            for i in competency.indicators)
            levels = [r.level for r in results]
            if rule.is_met(levels):
                state = ACHIEVED
            elif any(r.assessed for r in results):
                state = IN_PROGRESS
            else:
                state = NOT_STARTED
            below = tuple(r.indicator_id for r in results
                          if r.level is None or r.level < rule.every_indicator_at_least)
            competencies.append(CompetencyResult(competency.id, state,
                                                 achieved_at.get(competency.id) if state == ACHIEVED else None,
                                                 results, below))
        domain_done = all(c.achieved for c in competencies)
        domains.append(DomainResult(domain.id, domain_done,
                                    max(c.achieved_at for c in competencies) if domain_done else None,
                                    tuple(competencies)))
    everything = all(d.achieved for d in domains)
    return Profile(tuple(domains), everything, max(d.achieved_at for d in domains) if everything else None)


def _first_times_rules_met(framework: Framework, rubric: Rubric, scores: list[ScoredIndicator]) -> dict:
    """Replay accepted scores in time order: when did each competency's rule first hold?"""
    best: dict[str, int] = {}
    first: dict[str, datetime] = {}
    for score in scores:
        if score.outcome != ACCEPTED or best.get(score.indicator_id, -1) >= score.level:
            continue
        best[score.indicator_id] = score.level
        indicator = framework.indicator(score.indicator_id)
        if indicator is None or indicator.competency_id in first:
            continue
        competency = framework.competency(indicator.competency_id)
        if rubric.rules[competency.id].is_met([best.get(i.id) for i in competency.indicators]):
            first[competency.id] = score.decided_at
    return first
