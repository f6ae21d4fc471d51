"""At the same moment: two assessors deciding one version, many learners submitting. Run on both databases."""

from __future__ import annotations

import threading

from lms.assessment import services as assessment
from lms.assessment.models import Assessment, IndicatorScore, Mark, MarkingCase, MarkingNote
from lms.auth import services as accounts
from lms.evidence import services as evidence
from lms.evidence.models import EvidenceVersion
from lms.extensions import db
from lms.models import User

from .evidence_helpers import REFLECTION

SLUG = "active-listening-and-rapport"


def run_together(app, jobs):
    """Run each job in its own thread and app context, released at the same instant."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(index, job):
        with app.test_request_context():
            barrier.wait()
            try:
                results[index] = job()
            except Exception as exc:  # collected and checked by the test
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_assessors_deciding_at_once_give_exactly_one_decision(app):
    with app.test_request_context():
        learner = accounts.create_user("learner@example.org", "Lina Learner", "x" * 12)
        # Calibrated (lead assessors), so that one mark is final.
        first = accounts.create_user("a1@example.org", "Ann One", "x" * 12, ("assessor", "lead_assessor"))
        second = accounts.create_user("a2@example.org", "Ben Two", "x" * 12, ("assessor", "lead_assessor"))
        version_id = evidence.save_draft(learner, SLUG, evidence.DraftInput(REFLECTION, "", 0), submit=True).version.id
        ids = (first.id, second.id)

    def decide(assessor_id, outcome):
        def job():
            assessor = db.session.get(User, assessor_id)
            return assessment.decide(assessor, assessment.Decision(
                version_id, outcome, "feedback",
                tuple(assessment.IndicatorJudgement(i, 2) for i in ("COM.3", "COM.4", "COM.7"))))
        return job

    results = run_together(app, [decide(ids[0], "accepted"), decide(ids[1], "not_yet")])
    refused = [r for r in results if isinstance(r, assessment.StaleDecision)]
    applied = [r for r in results if isinstance(r, assessment.MarkResult) and isinstance(r.final, Assessment)]
    assert len(applied) == 1 and len(refused) == 1, results
    assert "already decided" in str(refused[0])
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Assessment)).scalar_one() == 1
        assert db.session.execute(db.select(db.func.count()).select_from(IndicatorScore)).scalar_one() == 3
        outcome = db.session.execute(db.select(Assessment.outcome)).scalar_one()
        assert db.session.get(EvidenceVersion, version_id).status == outcome


def test_many_learners_submitting_at_once_lose_nothing(app):
    count = 8
    with app.test_request_context():
        learner_ids = [accounts.create_user(f"l{i}@example.org", f"Learner {i}", "x" * 12).id for i in range(count)]

    def submit(learner_id, index):
        def job():
            learner = db.session.get(User, learner_id)
            text = f"{REFLECTION} Written by learner number {index}."
            return evidence.save_draft(learner, SLUG, evidence.DraftInput(text, "", 0), submit=True).submitted
        return job

    results = run_together(app, [submit(lid, i) for i, lid in enumerate(learner_ids)])
    assert results == [True] * count
    with app.app_context():
        rows = db.session.execute(db.select(EvidenceVersion.reflection, EvidenceVersion.status)).all()
        assert sorted(int(r.split("number ")[1].rstrip(".")) for r, _ in rows) == list(range(count))
        assert {status for _, status in rows} == {"submitted"}


def _accepted_dsp_learner(app, skip_last=False):
    """A learner with accepted evidence for the DSP units (all three, or the first two)."""
    from lms.content_store import catalogue

    with app.test_request_context():
        learner = accounts.create_user("earner@example.org", "Esha Earner", "x" * 12)
        assessors = [accounts.create_user(f"as{i}@example.org", f"Assessor {i}", "x" * 12,
                                          ("assessor", "lead_assessor")) for i in range(2)]
        versions = []
        for slug in ("empathy-and-respect", "agency-and-wellbeing", "dispositions-journal"):
            version = evidence.save_draft(learner, slug, evidence.DraftInput(REFLECTION, "", 0), submit=True).version
            versions.append((version.id, catalogue().unit(slug).task.indicator_ids))
        for version_id, indicators in versions[:1 if skip_last else 3]:
            assessment.decide(assessors[0], assessment.Decision(
                version_id, "accepted", "", tuple(assessment.IndicatorJudgement(i, 2) for i in indicators)))
        return learner.id, [a.id for a in assessors], versions


def _badge_counts(app):
    from lms.badges.models import BadgeAssertion

    with app.app_context():
        rows = db.session.execute(db.select(BadgeAssertion.badge_class_id, db.func.count())
                                  .group_by(BadgeAssertion.badge_class_id)).all()
        return dict(rows)


def test_two_decisions_completing_a_competency_at_once_issue_its_badge_once(app):
    learner_id, assessor_ids, versions = _accepted_dsp_learner(app, skip_last=True)

    def decide(assessor_id, version):
        def job():
            version_id, indicators = version
            return assessment.decide(db.session.get(User, assessor_id), assessment.Decision(
                version_id, "accepted", "", tuple(assessment.IndicatorJudgement(i, 2) for i in indicators)))
        return job

    results = run_together(app, [decide(assessor_ids[0], versions[1]), decide(assessor_ids[1], versions[2])])
    assert all(isinstance(r, assessment.MarkResult) and r.final is not None for r in results), results
    assert _badge_counts(app) == {"DSP": 1, "PD": 1}


def test_the_database_refuses_a_second_copy_of_a_badge(app):
    from lms.badges import services as badges
    from lms.badges.models import BadgeAssertion

    learner_id, _, _ = _accepted_dsp_learner(app)
    assert _badge_counts(app) == {"DSP": 1, "PD": 1}
    with app.app_context():
        db.session.execute(db.delete(BadgeAssertion))
        db.session.commit()

    def issue():
        issued = badges.issue_achievements(learner_id)
        db.session.commit()
        return len(issued)

    results = run_together(app, [issue, issue, issue])
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 2
    assert _badge_counts(app) == {"DSP": 1, "PD": 1}


def _marked_once_by_an_uncalibrated_assessor(app, outcome="accepted", level=2):
    """A submission with its first mark from an uncalibrated assessor: waiting for a second mark."""
    with app.test_request_context():
        learner = accounts.create_user("learner@example.org", "Lina Learner", "x" * 12)
        novice = accounts.create_user("novice@example.org", "Nia Novice", "x" * 12, "assessor")
        seconds = [accounts.create_user(f"s{i}@example.org", f"Second {i}", "x" * 12, ("assessor", "lead_assessor"))
                   for i in range(2)]
        version_id = evidence.save_draft(learner, SLUG, evidence.DraftInput(REFLECTION, "", 0), submit=True).version.id
        result = assessment.decide(novice, assessment.Decision(
            version_id, outcome, "feedback", tuple(assessment.IndicatorJudgement(i, level) for i in INDICATORS)))
        assert result.stage == "second"
        return version_id, novice.id, [s.id for s in seconds]


INDICATORS = ("COM.3", "COM.4", "COM.7")


def test_two_second_markers_at_once_give_exactly_one_second_mark(app):
    version_id, _, second_ids = _marked_once_by_an_uncalibrated_assessor(app)

    def second_mark(assessor_id):
        def job():
            return assessment.decide(db.session.get(User, assessor_id), assessment.Decision(
                version_id, "accepted", "fine", tuple(assessment.IndicatorJudgement(i, 2) for i in INDICATORS)))
        return job

    results = run_together(app, [second_mark(i) for i in second_ids])
    applied = [r for r in results if isinstance(r, assessment.MarkResult)]
    refused = [r for r in results if isinstance(r, assessment.StaleDecision)]
    assert len(applied) == 1 and len(refused) == 1, results
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Mark).where(Mark.seq == 2)).scalar_one() == 1
        assert db.session.execute(db.select(db.func.count()).select_from(Assessment)).scalar_one() == 1
        assert db.session.get(MarkingCase, version_id).stage == "final"


def test_a_moderation_and_a_late_first_mark_do_not_both_finalise(app):
    # The first marks disagree (3s accepted against 1s not yet): moderation.
    version_id, novice_id, second_ids = _marked_once_by_an_uncalibrated_assessor(app, level=3)
    with app.test_request_context():
        lead = accounts.create_user("lead@example.org", "Lee Lead", "x" * 12, "lead_assessor")
        late = accounts.create_user("late@example.org", "Lou Late", "x" * 12, ("assessor", "lead_assessor"))
        result = assessment.decide(db.session.get(User, second_ids[0]), assessment.Decision(
            version_id, "not_yet", "needs work", tuple(assessment.IndicatorJudgement(i, 1) for i in INDICATORS)))
        assert result.stage == "moderation"
        lead_id, late_id = lead.id, late.id

    def moderate():
        return assessment.moderate(db.session.get(User, lead_id), assessment.Decision(
            version_id, "not_yet", "revise", tuple(assessment.IndicatorJudgement(i, 1) for i in INDICATORS)),
            "the second mark is right")

    def late_first_mark():  # an assessor whose page (and claim) was from before the first mark
        return assessment.decide(db.session.get(User, late_id), assessment.Decision(
            version_id, "accepted", "late", tuple(assessment.IndicatorJudgement(i, 2) for i in INDICATORS)))

    results = run_together(app, [moderate, late_first_mark])
    assert isinstance(results[0], Assessment), results
    assert isinstance(results[1], assessment.StaleDecision), results
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Assessment)).scalar_one() == 1
        assert db.session.execute(db.select(Assessment.outcome)).scalar_one() == "not_yet"
        assert db.session.execute(db.select(db.func.count()).select_from(Mark)).scalar_one() == 2
        assert db.session.get(EvidenceVersion, version_id).status == "not_yet"
        # The late assessor's work is kept as their notes.
        assert db.session.get(MarkingNote, (version_id, late_id)) is not None
