"""Agreement between assessors and turnaround: plain functions over plain data.

The coefficients come from well-kept libraries, never from our own formulas: quadratic-weighted
Cohen's kappa from scikit-learn, Krippendorff's alpha (ordinal) from the ``krippendorff`` package.
A coefficient that is undefined (every mark the same level, for example) is None, never NaN.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score

# Targets an indicator is judged on once it has enough pairs. Exact agreement of 70% and exact-or-
# adjacent agreement of 90% are common targets for human scoring on short ordinal scales; 0.70 for
# quadratic-weighted kappa follows Williamson, Xi and Breyer (2012), Educational Measurement:
# Issues and Practice 31(1).
EXACT_TARGET = 0.70
ADJACENT_TARGET = 0.90
KAPPA_TARGET = 0.70
DEFAULT_MIN_PAIRS = 10


@dataclass(frozen=True)
class MarkPair:
    """Two independent levels for one indicator of one evidence version, by two different assessors."""

    indicator_id: str
    first_assessor_id: int
    first_level: int
    second_assessor_id: int
    second_level: int


@dataclass(frozen=True)
class Agreement:
    """Agreement over a set of pairs: shares from 0 to 1, coefficients or None when undefined."""

    pairs: int
    exact: float | None
    adjacent: float | None
    kappa: float | None
    alpha: float | None
    flagged: bool = False
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndicatorAgreement:
    """Agreement for one indicator over every double-marked evidence version."""

    indicator_id: str
    agreement: Agreement

    def as_dict(self) -> dict:
        """The figures as published: indicator, pairs, exact, adjacent, kappa, alpha."""
        a = self.agreement
        return {"indicator": self.indicator_id, "pairs": a.pairs, "exact": a.exact, "adjacent": a.adjacent,
                "kappa": a.kappa, "alpha": a.alpha}


@dataclass(frozen=True)
class AssessorAgreement:
    """How often one assessor's levels agree with the other marker's, over every pair they were part of."""

    assessor_id: int
    agreement: Agreement


def _none_if_nan(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def quadratic_kappa(first: Sequence[int], second: Sequence[int], levels: Sequence[int]) -> float | None:
    """Quadratic-weighted Cohen's kappa (scikit-learn) over the full level scale; None when undefined."""
    if len(first) != len(second) or not first:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined cases warn, then return NaN: reported as None
        try:
            return _none_if_nan(cohen_kappa_score(list(first), list(second), weights="quadratic",
                                                  labels=list(levels)))
        except (ValueError, ZeroDivisionError):
            return None


def ordinal_alpha(reliability_data: Sequence[Sequence[int | None]], levels: Sequence[int]) -> float | None:
    """Krippendorff's alpha, ordinal (the ``krippendorff`` package); one row per marker, None for missing."""
    rows = [[np.nan if v is None else float(v) for v in row] for row in reliability_data]
    if len(rows) < 2 or not rows[0]:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no variation at all divides by zero: reported as None
        try:
            return _none_if_nan(krippendorff.alpha(reliability_data=rows, level_of_measurement="ordinal",
                                                   value_domain=list(levels)))
        except (ValueError, ZeroDivisionError):
            return None


def agreement(pairs: Sequence[tuple[int, int]], levels: Sequence[int], min_pairs: int = DEFAULT_MIN_PAIRS,
              exact_target: float = EXACT_TARGET, adjacent_target: float = ADJACENT_TARGET,
              kappa_target: float = KAPPA_TARGET) -> Agreement:
    """Pairs, exact and adjacent (within one level) agreement, kappa and alpha, and whether to flag it.

    Flagged only with at least ``min_pairs`` pairs, when exact or adjacent agreement or kappa falls
    below its target; ``reasons`` says which.
    """
    n = len(pairs)
    if n == 0:
        return Agreement(0, None, None, None, None)
    first = [a for a, _ in pairs]
    second = [b for _, b in pairs]
    exact = sum(1 for a, b in pairs if a == b) / n
    adjacent = sum(1 for a, b in pairs if abs(a - b) <= 1) / n
    kappa = quadratic_kappa(first, second, levels)
    alpha = ordinal_alpha([first, second], levels)
    reasons: list[str] = []
    if n >= min_pairs:
        if exact < exact_target:
            reasons.append(f"exact agreement {exact:.0%} is below {exact_target:.0%}")
        if adjacent < adjacent_target:
            reasons.append(f"adjacent agreement {adjacent:.0%} is below {adjacent_target:.0%}")
        if kappa is not None and kappa < kappa_target:
            reasons.append(f"weighted kappa {kappa:.2f} is below {kappa_target:.2f}")
    return Agreement(n, exact, adjacent, kappa, alpha, bool(reasons), tuple(reasons))


def by_indicator(pairs: Iterable[MarkPair], levels: Sequence[int], indicator_order: Sequence[str] = (),
                 min_pairs: int = DEFAULT_MIN_PAIRS) -> list[IndicatorAgreement]:
    """Agreement for each indicator: those in ``indicator_order`` first (also with no pairs), then any others."""
    grouped: dict[str, list[tuple[int, int]]] = {i: [] for i in indicator_order}
    for pair in pairs:
        grouped.setdefault(pair.indicator_id, []).append((pair.first_level, pair.second_level))
    return [IndicatorAgreement(i, agreement(p, levels, min_pairs)) for i, p in grouped.items()]


def by_assessor(pairs: Iterable[MarkPair], levels: Sequence[int],
                min_pairs: int = DEFAULT_MIN_PAIRS) -> list[AssessorAgreement]:
    """Agreement for each assessor: their levels against the other marker's, over every pair they were in."""
    grouped: dict[int, list[tuple[int, int]]] = {}
    for pair in pairs:
        grouped.setdefault(pair.first_assessor_id, []).append((pair.first_level, pair.second_level))
        grouped.setdefault(pair.second_assessor_id, []).append((pair.second_level, pair.first_level))
    return [AssessorAgreement(a, agreement(p, levels, min_pairs)) for a, p in sorted(grouped.items())]


# Turnaround ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decided:
    """One evidence version: when it was submitted, when its final decision came (None: still open),
    and the assessors who marked it."""

    submitted_at: datetime
    decided_at: datetime | None
    assessor_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Turnaround:
    """Working days from submission to final decision over decided versions, and each assessor's load."""

    decided: int
    median_days: float | None
    p90_days: float | None
    within_target: float | None  # share of decided versions decided within the target
    target_days: int
    open: int
    load: dict[int, int] = field(default_factory=dict)  # assessor id -> versions marked


def percentile(values: Sequence[float], share: float) -> float | None:
    """The ``share`` (0 to 1) percentile by linear interpolation (numpy's default); None for no values."""
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), share * 100))


def turnaround(items: Iterable[Decided], working_days: Callable[[datetime, datetime], float],
               target_days: int = 5) -> Turnaround:
    """Median and 90th percentile working days to a final decision, the share within target, and load.

    ``working_days(start, end)`` counts the working days between two moments (the programme's calendar).
    """
    durations: list[float] = []
    open_count = 0
    load: dict[int, int] = {}
    for item in items:
        for assessor_id in item.assessor_ids:
            load[assessor_id] = load.get(assessor_id, 0) + 1
        if item.decided_at is None:
            open_count += 1
            continue
        durations.append(float(working_days(item.submitted_at, item.decided_at)))
    if not durations:
        return Turnaround(0, None, None, None, target_days, open_count, load)
    within = sum(1 for d in durations if d <= target_days) / len(durations)
    return Turnaround(len(durations), float(statistics.median(durations)), percentile(durations, 0.9), within,
                      target_days, open_count, dict(sorted(load.items(), key=lambda kv: (-kv[1], kv[0]))))
