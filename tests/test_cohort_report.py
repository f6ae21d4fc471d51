"""Cohort reports: the figures on a known cohort, on the page, in downloads and on the command line."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from lms.cohorts import services as cohorts
from lms.cohorts.models import Cohort, CohortTarget
from lms.content_store import catalogue
from lms.domain import cohort_report as figures
from lms.domain.spreadsheet import spreadsheet_safe
from lms.evidence.models import EvidenceVersion
from lms.extensions import db
from lms.models import User

from .conftest import nothing_kept, signed_in, statements_sent

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)
from .evidence_helpers import REFLECTION  # long enough for every task


# The pure figures ---------------------------------------------------------------------------------

def test_funnel_counts_only_the_cohort_and_gives_shares_of_those_enrolled():
    steps = figures.funnel({1, 2, 3, 4}, {"started": {1, 2, 3, 99}, "submitted": {2, 3}, "accepted": {3},
                                          "badge": {3}, "credential": set()})
    assert [(s.key, s.count, s.percent) for s in steps] == [
        ("enrolled", 4, 100), ("started", 3, 75), ("submitted", 2, 50), ("accepted", 1, 25), ("badge", 1, 25),
        ("credential", 0, 0)]
    assert [s.count for s in figures.funnel(set(), {})] == [0] * 6


def test_turnaround_median_percentile_and_bands():
    pairs = [(T0, T0 + timedelta(hours=h)) for h in (2, 10, 30, 50, 100, 400)]
    t = figures.turnaround(pairs, [T0], T0 + timedelta(hours=12))
    assert t.decided == 6 and t.median_hours == 40.0
    assert t.p90_hours == 250.0  # between 100 and 400, inclusive method
    assert dict(t.bands) == {"within 1 day": 2, "1 to 3 days": 2, "3 to 7 days": 1, "7 to 14 days": 0,
                             "over 14 days": 1}
    assert (t.waiting, t.oldest_waiting_hours) == (1, 12.0)
    empty = figures.turnaround([], [], T0)
    assert (empty.decided, empty.median_hours, empty.p90_hours, empty.waiting) == (0, None, None, 0)


def test_difficulty_puts_the_most_often_not_yet_first(app):
    with app.app_context():
        framework = catalogue().framework
    rows = figures.difficulty(framework, [figures.IndicatorCounts("SDS.1", 4, 1, 2),
                                          figures.IndicatorCounts("SDS.7", 3, 2, 2),
                                          figures.IndicatorCounts("NOPE.1", 5, 5, 5),
                                          figures.IndicatorCounts("COM.1", 0, 0, 0)])
    assert [(r.indicator_id, r.not_yet_percent, r.attempts_per_learner) for r in rows] == [
        ("SDS.7", 67, 1.5), ("SDS.1", 25, 2.0)]


def test_cells_that_would_run_as_formulas_are_made_text():
    assert [spreadsheet_safe(v) for v in ("=1+1", "+44", "-2", "@SUM(A1)", "Ann", 3, -3, None)] == [
        "'=1+1", "'+44", "'-2", "'@SUM(A1)", "Ann", 3, -3, ""]


# A known cohort, built through the real services ---------------------------------------------------

def _user(app, make_user, email, name):
    make_user(email, name)
    with app.app_context():
        return db.session.execute(db.select(User).where(User.email == email)).scalar_one().id


def _submit(learner_id, slug):
    from lms.evidence import services as evidence
    learner = db.session.get(User, learner_id)
    draft = evidence.submission_for(learner, slug)
    revision = draft.latest.revision if draft is not None else 0
    return evidence.save_draft(learner, slug, evidence.DraftInput(REFLECTION, "", revision), submit=True).version.id


def _decide(assessor_id, version_id, outcome, hours_after_submission):
    from lms.assessment import services as assessment
    assessor = db.session.get(User, assessor_id)
    rubric = catalogue().rubric
    version = assessment.claim(assessor, version_id)
    unit = catalogue().unit(version.submission.unit_slug)
    level = rubric.level_by_id("proficient" if outcome == "accepted" else "emerging").value
    decided = assessment.decide(assessor, assessment.Decision(
        version_id, outcome, "" if outcome == "accepted" else "Say what you did and what changed as a result.",
        tuple(assessment.IndicatorJudgement(i, level, "") for i in unit.task.indicator_ids)))
    # Known waiting times: the submission is moved back in time from the decision.
    db.session.execute(db.update(EvidenceVersion).where(EvidenceVersion.id == version_id)
                       .values(submitted_at=decided.final.decided_at - timedelta(hours=hours_after_submission)))
    db.session.commit()


@pytest.fixture
def known_cohort(app, make_user):
    """Intake A: Ann (nothing), Bob (a unit read; extended), =Cid (evidence waiting), Dee (not yet, then
    accepted, and the three Professional Dispositions units accepted: two badges). Eve is in another cohort."""
    today = date.today()
    people = {name: _user(app, make_user, f"{name.strip('=').lower()}@example.org", name)
              for name in ("Ann", "Bob", "=Cid", "Dee", "Eve")}
    assessor = _user(app, make_user, "marker@example.org", "Mark Marker")
    with app.app_context():
        # A lead assessor's single mark is final: the report counts final decisions.
        from lms.models import UserRole
        db.session.get(User, assessor).role_rows = [UserRole(role="assessor"), UserRole(role="lead_assessor")]
        db.session.commit()
        intake = cohorts.create_cohort(None, "Intake A", today - timedelta(days=30), today + timedelta(days=90))
        other = cohorts.create_cohort(None, "Intake B", today - timedelta(days=30), today + timedelta(days=90))
        db.session.add(CohortTarget(cohort_id=intake.id, kind="unit", ref="what-mentoring-is",
                                    due_on=today - timedelta(days=5)))
        db.session.commit()
        for name, uid in people.items():
            cohorts.enrol(None, db.session.get(User, uid), other if name == "Eve" else intake)
        cohorts.extend(None, people["Bob"], 10)
        cohort_id = intake.id
    with app.test_request_context():
        from lms.learning.services import mark_complete
        mark_complete(db.session.get(User, people["Bob"]), "what-mentoring-is")
        _submit(people["=Cid"], "what-mentoring-is")
        first = _submit(people["Dee"], "what-mentoring-is")
        _decide(assessor, first, "not_yet", 10)
        from lms.evidence import services as evidence
        evidence.start_revision(db.session.get(User, people["Dee"]), "what-mentoring-is")
        second = _submit(people["Dee"], "what-mentoring-is")
        _decide(assessor, second, "accepted", 30)
        for hours, unit in zip((50, 100, 400), [u for u in catalogue().units if u.domain_id == "PD"]):
            _decide(assessor, _submit(people["Dee"], unit.slug), "accepted", hours)
        eve_version = _submit(people["Eve"], "what-mentoring-is")
        _decide(assessor, eve_version, "not_yet", 1)
    return cohort_id, people


def test_the_reports_numbers_on_a_known_cohort(app, known_cohort):
    cohort_id, people = known_cohort
    from lms.cohorts import reports
    with app.app_context():
        report = reports.build(db.session.get(Cohort, cohort_id))
        task = catalogue().unit("what-mentoring-is").task.indicator_ids
        pd_units = [u for u in catalogue().units if u.domain_id == "PD"]
    assert [(s.key, s.count) for s in report.funnel] == [
        ("enrolled", 4), ("started", 3), ("submitted", 2), ("accepted", 1), ("badge", 1), ("credential", 0)]
    # Ann never started; Bob read the unit without submitting but has 10 extra days; Cid and Dee submitted.
    assert [(r.name, r.days_late, r.overdue) for r in report.behind] == [("Ann", 5, 1)]
    heat = {row.name: {c.domain_id: (c.accepted, c.total) for c in row.cells} for row in report.heat}
    assert sorted(heat) == ["=Cid", "Ann", "Bob", "Dee"]
    assert heat["Dee"]["PD"] == (3, 3) and heat["Dee"]["PI"][0] == 1 and heat["=Cid"]["PI"][0] == 0
    difficulty = {r.indicator_id: (r.decisions, r.not_yet, r.learners) for r in report.difficulty}
    for indicator in task:  # Dee's two attempts; Eve's "not yet" is another cohort's
        assert difficulty[indicator] == (2, 1, 1)
    assert report.difficulty[0].indicator_id in task and report.difficulty[0].attempts_per_learner == 2.0
    assert sum(1 for r in report.difficulty if r.not_yet == 0) == len({i for u in pd_units for i in u.task.indicator_ids})
    t = report.turnaround
    assert t.decided == 5 and t.median_hours == 50.0 and dict(t.bands)["over 14 days"] == 1
    assert t.waiting == 1


def test_the_report_page_downloads_and_command_line_agree(app, known_cohort, make_user):
    cohort_id, _ = known_cohort
    lead = signed_in(app, make_user, "lead@example.org", "Lina Lead", "programme_lead")
    page = lead.get(f"/programme/cohorts/{cohort_id}/report").get_data(as_text=True)
    assert "<svg class=\"chart\"" in page
    assert "<th scope=\"row\">Submitted evidence</th><td>2</td><td>50%</td>" in page
    assert "1 of 4 learners is behind" in page
    assert "5 decisions: half within 50.0 hours" in page

    response = lead.get(f"/programme/cohorts/{cohort_id}/report/heatmap.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="intake-a-heatmap.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Learner" and ["'=Cid"] == [r[0] for r in rows if "Cid" in r[0]]

    response = lead.get(f"/programme/cohorts/{cohort_id}/report/heatmap.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    cid = next(row for row in sheet.iter_rows() if row[0].value and "Cid" in row[0].value)
    assert cid[0].value == "=Cid" and cid[0].data_type == "s"  # shown as text, never run as a formula

    funnel = list(csv.reader(io.StringIO(lead.get(f"/programme/cohorts/{cohort_id}/report/funnel.csv")
                                         .get_data(as_text=True).lstrip("\ufeff"))))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "cohort", "intake a", "--format", "csv", "--table", "funnel"])
    assert result.exit_code == 0 and list(csv.reader(io.StringIO(result.output))) == funnel
    result = runner.invoke(args=["report", "cohort", "Intake A", "--format", "json"])
    data = json.loads(result.output)
    assert [row["Learners"] for row in data["funnel"]] == [4, 3, 2, 1, 1, 0]
    assert [row["Learner"] for row in data["behind"]] == ["Ann"]
    assert runner.invoke(args=["report", "cohort", "Nope"]).exit_code == 1


def test_the_report_page_issues_the_same_number_of_statements_for_more_learners(app, known_cohort, make_user):
    cohort_id, _ = known_cohort
    lead = signed_in(app, make_user, "lead@example.org", "Lina Lead", "programme_lead")
    path = f"/programme/cohorts/{cohort_id}/report"

    def page():
        assert lead.get(path).status_code == 200

    def statements():
        with nothing_kept(app):
            return len(statements_sent(app, page))

    before = statements()
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        for n in range(6):
            uid = _user(app, make_user, f"extra{n}@example.org", f"Extra {n}")
            cohorts.enrol(None, db.session.get(User, uid), cohort)
    assert statements() == before < 40
