"""Agreement statistics and turnaround, as plain functions, against published worked examples."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import pytest

from lms.domain.agreement import (Decided, MarkPair, agreement, by_assessor, by_indicator, ordinal_alpha,
                                  quadratic_kappa, turnaround)

LEVELS = [0, 1, 2, 3]


def test_quadratic_kappa_matches_the_maple_essaytools_examples():
    # Maplesoft, EssayTools[QuadraticWeightedKappa] help page, examples 1 and 2 (scores 1 to 10):
    # 0.758620689655172 and 0.438095238095238.
    scale = list(range(1, 11))
    first = [9, 7, 8, 7, 6, 8, 3, 5, 10]
    assert quadratic_kappa(first, [8, 8, 6, 6, 7, 6, 1, 4, 8], scale) == pytest.approx(0.758620689655172)
    assert quadratic_kappa(first, [3, 5, 6, 6, 7, 6, 1, 4, 8], scale) == pytest.approx(0.438095238095238)


def test_on_two_levels_weighted_kappa_is_cohens_kappa_of_the_wikipedia_example():
    # Wikipedia, "Cohen's kappa", worked example: 50 grant proposals, both readers yes 20, A yes B no 5,
    # A no B yes 10, both no 15; kappa = 0.4. With two categories every disagreement weighs the same,
    # so the quadratic-weighted kappa equals it.
    first = [1] * 20 + [1] * 5 + [0] * 10 + [0] * 15
    second = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert quadratic_kappa(first, second, [0, 1]) == pytest.approx(0.4)


def test_ordinal_alpha_matches_krippendorffs_worked_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", Annenberg School for
    # Communication, section C: 4 observers, 12 units, values 1-5, missing data.
    # Published: nominal .743, ordinal .815, interval .849, ratio .797.
    n = None
    data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
            [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n]]
    assert round(ordinal_alpha(data, [1, 2, 3, 4, 5]), 3) == 0.815


def test_identical_marks_give_full_agreement_and_undefined_coefficients_as_none():
    result = agreement([(2, 2)] * 12, LEVELS)
    assert (result.pairs, result.exact, result.adjacent) == (12, 1.0, 1.0)
    assert result.kappa is None and result.alpha is None
    assert not result.flagged
    # The published JSON says null, never NaN.
    text = json.dumps(by_indicator([MarkPair("COM.2", 1, 2, 2, 2)], LEVELS)[0].as_dict())
    assert "NaN" not in text and '"kappa": null' in text and '"alpha": null' in text


def test_exact_and_adjacent_agreement_are_shares_of_pairs():
    pairs = [(2, 2), (2, 3), (1, 3), (0, 0)]  # exact 2 of 4; within one level 3 of 4
    result = agreement(pairs, LEVELS)
    assert (result.pairs, result.exact, result.adjacent) == (4, 0.5, 0.75)
    assert result.kappa is not None and not math.isnan(result.kappa)


def test_no_pairs_gives_no_figures():
    result = agreement([], LEVELS)
    assert (result.pairs, result.exact, result.adjacent, result.kappa, result.alpha) == (0, None, None, None, None)


def test_an_indicator_is_flagged_only_with_enough_pairs_and_says_why():
    # Half the pairs two levels apart: poor on every measure.
    poor = [(2, 2), (1, 3)] * 3
    assert not agreement(poor, LEVELS, min_pairs=10).flagged  # 6 pairs: too few to judge
    flagged = agreement(poor * 2, LEVELS, min_pairs=10)
    assert flagged.flagged and flagged.pairs == 12
    assert any("exact agreement 50%" in r for r in flagged.reasons)
    assert any("adjacent agreement 50%" in r for r in flagged.reasons)


def test_high_kappa_does_not_hide_low_exact_agreement():
    # Always one level apart in the same direction: kappa is respectable, but exact agreement is poor.
    pairs = [(0, 1), (1, 2), (2, 3), (3, 3)] * 3
    result = agreement(pairs, LEVELS, min_pairs=10)
    assert result.kappa is not None and result.kappa >= 0.7
    assert result.flagged and result.reasons == ("exact agreement 25% is below 70%",)


def test_figures_per_indicator_and_per_assessor():
    pairs = [MarkPair("COM.2", 1, 2, 2, 2), MarkPair("COM.2", 1, 1, 3, 3), MarkPair("COM.5", 2, 2, 3, 1)]
    indicators = {i.indicator_id: i.agreement for i in by_indicator(pairs, LEVELS, ["COM.2", "COM.5", "DSP.1"])}
    assert [indicators[i].pairs for i in ("COM.2", "COM.5", "DSP.1")] == [2, 1, 0]
    assert indicators["COM.2"].exact == 0.5 and indicators["COM.2"].adjacent == 0.5
    assessors = {a.assessor_id: a.agreement for a in by_assessor(pairs, LEVELS)}
    assert {k: v.pairs for k, v in assessors.items()} == {1: 2, 2: 2, 3: 2}
    assert assessors[1].exact == 0.5 and assessors[3].exact == 0.0 and assessors[3].adjacent == 0.5


def _days(start: datetime, end: datetime) -> float:
    return (end - start).days  # a stand-in calendar for these tests: every day counts


def test_turnaround_median_90th_percentile_share_within_target_and_load():
    t0 = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
    items = [Decided(t0, t0 + timedelta(days=d), (1,)) for d in (1, 2, 3, 4, 10)]
    items.append(Decided(t0, None, (2,)))
    result = turnaround(items, _days, target_days=5)
    # Median of 1, 2, 3, 4, 10 is 3; the 90th percentile by linear interpolation (numpy.percentile's
    # default, Hyndman and Fan's definition 7) is 4 + 0.6 * (10 - 4) = 7.6.
    assert (result.decided, result.median_days, result.p90_days) == (5, 3.0, pytest.approx(7.6))
    assert result.within_target == 0.8 and result.open == 1
    assert result.load == {1: 5, 2: 1}


def test_turnaround_with_nothing_decided():
    result = turnaround([], _days)
    assert (result.decided, result.median_days, result.p90_days, result.within_target) == (0, None, None, None)
