"""The queue's counts per waiting stage and unit (queue_counts, kept by triggers) always equal a real COUNT,
through opening, first and second marks, moderation, reopening and deletion; and the queue's total equals
the number of cases the assessor may mark, for calibrated and uncalibrated assessors and under filters."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.assessment import services
from lms.assessment.models import FIRST, SECOND, MarkingCase, QueueCount
from lms.extensions import db


def counts_match() -> dict:
    real = {(stage, unit): n for stage, unit, n in db.session.execute(
        select(MarkingCase.stage, MarkingCase.unit_slug, func.count()).where(MarkingCase.stage.in_((FIRST, SECOND)))
        .group_by(MarkingCase.stage, MarkingCase.unit_slug))}
    kept = {(row.stage, row.unit_slug): row.n for row in db.session.execute(select(QueueCount)).scalars() if row.n}
    assert kept == real
    return real


def eligible_count(assessor, calibrated: bool, slugs=None) -> int:
    where = [services._eligible(assessor, calibrated)]
    if slugs is not None:
        where.append(MarkingCase.unit_slug.in_(slugs))
    return db.session.execute(select(func.count()).select_from(MarkingCase).where(*where)).scalar_one()


def queue_totals_match(app, emails) -> None:
    """Every assessor's queue total (the page's statement) equals a real COUNT of what they may mark."""
    from lms.models import User
    with app.test_request_context():
        for email in emails:
            assessor = db.session.execute(select(User).where(User.email == email)).scalar_one()
            calibrated = services.is_calibrated_marker(assessor)
            for domain in (None, "COM"):
                slugs = services.unit_slugs_for(domain, None)
                page = services.queue(assessor, domain, None, with_cohorts=True)
                assert page.total == eligible_count(assessor, calibrated, slugs), (email, domain)


def test_the_counts_equal_a_real_count_through_marking_moderation_reopening_and_deletion(app, make_user):
    from lms.models import User

    from .conftest import csrf_token, signed_in
    from .evidence_helpers import assessor_decides, save_evidence
    from .test_marking import LISTENING, levels, version_id_of

    learner = signed_in(app, make_user, "learner@example.org", "Lea Learner", "learner")
    other = signed_in(app, make_user, "other@example.org", "Otto Other", "learner")
    first = signed_in(app, make_user, "new@example.org", "Nia New", "assessor")  # uncalibrated: second marks follow
    second = signed_in(app, make_user, "cal@example.org", "Cal Ibrated", ("assessor", "lead_assessor"))
    lead = signed_in(app, make_user, "lead@example.org", "Lee Lead", ("assessor", "lead_assessor"))
    reviewer = signed_in(app, make_user, "rev@example.org", "Rea Reviewer", "lead_assessor")  # not the moderator
    everyone = ("new@example.org", "cal@example.org", "lead@example.org")

    def check():
        with app.app_context():
            counts = counts_match()
        queue_totals_match(app, everyone)
        return counts

    save_evidence(learner, LISTENING, submit=True)  # opened
    save_evidence(other, LISTENING, submit=True)
    assert sum(check().values()) == 2
    vid = version_id_of(app)
    with app.app_context():
        vids = db.session.execute(select(MarkingCase.version_id).order_by(MarkingCase.version_id)).scalars().all()
    assessor_decides(first, vids[0], levels(3, 3, 3), "accepted", feedback="Excellent.")  # first mark: second
    assert check()[(SECOND, LISTENING)] == 1
    assessor_decides(second, vids[0], levels(1, 2, 1), "not_yet", feedback="Needs an example.")  # to moderation
    assert sum(check().values()) == 1
    assessor_decides(first, vids[1], levels(2, 2, 2), "accepted", feedback="Fine.")
    assessor_decides(second, vids[1], levels(2, 2, 2), "accepted", feedback="Agreed.")  # agreement: final
    assert check() == {}

    token = csrf_token(lead, f"/assess/moderation/{vid}")  # moderated: final
    assert lead.post(f"/assess/moderation/{vid}", data={
        "csrf_token": token, "outcome": "accepted", "feedback": "", "reason": "The first mark is right.",
        "level_COM_3": "2", "level_COM_4": "2", "level_COM_7": "2"}).status_code == 302
    assert check() == {}

    token = csrf_token(learner, f"/units/{LISTENING}/evidence")  # a review that changes it reopens it
    learner.post(f"/assess/review-request/{vid}", data={"csrf_token": token, "reason": "COM.7 deserves more."})
    with app.app_context():
        from lms.assessment.models import ReviewRequest
        review_id = db.session.execute(select(ReviewRequest.id)).scalar_one()
    token = csrf_token(reviewer, f"/assess/reviews/{review_id}")
    assert reviewer.post(f"/assess/reviews/{review_id}", data={"csrf_token": token, "result": "changed",
                                                           "response": "Revise COM.7."}).status_code == 302
    save_evidence(learner, LISTENING, submit=True)  # the reopened evidence submitted again: waiting again
    assert check() == {(FIRST, LISTENING): 1}

    with app.app_context():  # a learner's account deleted: their cases go with it (a cascade, no ORM event)
        db.session.execute(db.delete(User).where(User.email == "learner@example.org"))
        db.session.commit()
    assert check() == {}


def test_the_calibration_condition_in_sql_agrees_with_is_calibrated_marker(app, make_user):
    from datetime import timedelta

    from lms.calibration.models import CalibrationRound
    from lms.models import User, utcnow

    app.config["CALIBRATION_THRESHOLD"] = 0.7
    lead_id = make_user("lead@example.org", "Lee Lead", ("assessor", "lead_assessor"))
    ids = [make_user(f"a{i}@example.org", f"Assessor {i}", "assessor") for i in range(6)]
    now = utcnow()
    with app.app_context():
        rounds = [  # (assessor, completed minutes ago or None, judged, agreed)
            (ids[1], 10, 10, 7),  # exactly the threshold (0.7 * 10 is not 7 in floats; 7 / 10 is 0.7)
            (ids[2], 10, 10, 6),
            (ids[3], 20, 10, 9), (ids[3], 10, 10, 5),  # the last completed round counts
            (ids[4], 10, 0, 0),  # nothing judged
            (ids[5], 20, 10, 9), (ids[5], None, 10, 0)]  # an unfinished round does not count
        for assessor_id, ago, judged, agreed in rounds:
            db.session.add(CalibrationRound(assessor_id=assessor_id, judged=judged, agreed=agreed,
                                            completed_at=None if ago is None else now - timedelta(minutes=ago)))
        db.session.commit()
        expected = {lead_id: True, ids[0]: False, ids[1]: True, ids[2]: False, ids[3]: False, ids[4]: False,
                    ids[5]: True}
        for user_id, calibrated in expected.items():
            user = db.session.get(User, user_id)
            assert services.is_calibrated_marker(user) is calibrated
            assert bool(db.session.execute(select(services.calibrated_marker_sql(user))).scalar_one()) is calibrated
