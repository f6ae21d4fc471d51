"""The learner's path: progress per domain, the next unit and where to resume (no app)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lms.domain.content import load_content
from lms.domain.progress import course_progress

from .content_fixtures import ROOT

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def catalogue():
    return load_content(ROOT / "rubrics", ROOT / "modules").catalogue


def test_a_new_learner_starts_at_the_first_unit(catalogue):
    progress = course_progress(catalogue, {})
    first = catalogue.units[0]
    assert progress.next_unit == first and progress.resume_unit == first
    assert progress.last_completed is None
    assert [d.percent for d in progress.domains] == [0, 0, 0, 0]
    assert progress.total == len(catalogue.task_units) == len(catalogue.units) - 1


def test_orientation_units_lead_the_way_but_do_not_count_in_domain_progress(catalogue):
    [plan] = catalogue.orientation_units
    assert catalogue.units[0] == plan
    progress = course_progress(catalogue, {plan.slug: T0})
    assert progress.completed == 0 and [d.completed for d in progress.domains] == [0, 0, 0, 0]
    assert progress.last_completed == plan
    assert progress.next_unit == progress.resume_unit == catalogue.units[1]
    assert all(plan not in catalogue.units_in_domain(d.domain.id) for d in progress.domains)


def test_progress_counts_per_domain(catalogue):
    pi_units = catalogue.units_in_domain("PI")
    done = {u.slug: T0 for u in pi_units[:2]}
    progress = course_progress(catalogue, done)
    pi = progress.domains[0]
    assert (pi.domain.id, pi.completed, pi.total) == ("PI", 2, len(pi_units))
    assert pi.percent == round(200 / len(pi_units))
    assert pi.minutes_left == sum(u.minutes for u in pi_units[2:])
    assert progress.completed == 2


def test_resume_continues_after_the_most_recent_completion(catalogue):
    units = catalogue.units
    # Finished units 1 and 2, then jumped ahead and finished unit 6 most recently.
    done = {units[0].slug: T0, units[1].slug: T0 + timedelta(hours=1), units[5].slug: T0 + timedelta(hours=2)}
    progress = course_progress(catalogue, done)
    assert progress.last_completed == units[5]
    assert progress.resume_unit == units[6]
    assert progress.next_unit == units[2]  # the gap left earlier


def test_resume_wraps_round_to_a_gap_after_the_last_unit(catalogue):
    units = catalogue.units
    done = {u.slug: T0 for u in units if u is not units[3]}
    done[units[-1].slug] = T0 + timedelta(days=1)
    progress = course_progress(catalogue, done)
    assert progress.resume_unit == units[3] == progress.next_unit


def test_everything_done(catalogue):
    progress = course_progress(catalogue, {u.slug: T0 for u in catalogue.units})
    assert progress.next_unit is None and progress.resume_unit is None
    assert all(d.percent == 100 for d in progress.domains)


def test_completions_of_units_no_longer_in_the_course_are_ignored(catalogue):
    progress = course_progress(catalogue, {"a-retired-unit": T0})
    assert progress.completed == 0 and progress.last_completed is None
