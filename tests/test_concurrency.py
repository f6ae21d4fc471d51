"""At the same moment: two assessors deciding one version, many learners submitting. Run on both databases."""

from __future__ import annotations

import threading

from lms.assessment import services as assessment
from lms.assessment.models import Assessment, IndicatorScore
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
        first = accounts.create_user("a1@example.org", "Ann One", "x" * 12, "assessor")
        second = accounts.create_user("a2@example.org", "Ben Two", "x" * 12, "assessor")
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
    applied = [r for r in results if isinstance(r, Assessment)]
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
