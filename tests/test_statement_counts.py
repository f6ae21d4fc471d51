"""Every page issues a small, fixed number of SQL statements, whatever the size of the data.

Each page is requested on a small data set and on a larger one (more learners, more evidence of
the learner's own, more badges, more notifications); the count must be the same on both and at
most MAX_STATEMENTS. Counts, not times: the test is exact on any machine.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event

from lms.assessment.models import Assessment, IndicatorScore
from lms.badges.models import BadgeAssertion
from lms.content_store import catalogue
from lms.evidence.models import EvidenceVersion, Submission
from lms.extensions import db
from lms.models import UnitProgress, User, utcnow
from lms.notifications.models import Notification

from .conftest import login

MAX_STATEMENTS = 8


class StatementCounter:
    """Counts the statements the app sends to the database while active."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _count(self, *args):
        self.count += 1

    def __enter__(self):
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


def add_learner_data(learner_id: int, assessor_id: int, units: int, other_learners: int) -> None:
    """Evidence (accepted, not yet, waiting), progress, notifications and badges at a given size."""
    cat = catalogue()
    now = utcnow()
    chosen = [u for u in cat.units if getattr(u, "task", None) is not None][:units]
    for index, unit in enumerate(chosen):
        submission = Submission(learner_id=learner_id, unit_slug=unit.slug)
        db.session.add(submission)
        db.session.flush()
        status = ("accepted", "not_yet", "submitted")[index % 3]
        version = EvidenceVersion(submission_id=submission.id, number=1, status=status, reflection="Text " * 50,
                                  submitted_at=now - timedelta(days=3))
        db.session.add(version)
        db.session.add(UnitProgress(user_id=learner_id, unit_slug=unit.slug))
        db.session.flush()
        if status != "submitted":
            assessment = Assessment(version_id=version.id, assessor_id=assessor_id, outcome=status,
                                    feedback="Feedback.")
            assessment.scores = [IndicatorScore(indicator_id=i, level=2 if status == "accepted" else 1)
                                 for i in unit.task.indicator_ids]
            db.session.add(assessment)
        db.session.add(Notification(user_id=learner_id, message=f"Note {index}", link="/evidence"))
    badge_ids = [b.id for b in cat.badge_classes][: max(1, units // 3)]
    for badge_id in badge_ids:
        db.session.add(BadgeAssertion(public_id=str(uuid.uuid4()), user_id=learner_id, badge_class_id=badge_id,
                                      recipient_email="teacher@example.org", salt=secrets.token_hex(8),
                                      achieved_at=now, issued_at=now, is_public=True))
    for n in range(other_learners):
        other = User(email=f"other{n}-{uuid.uuid4().hex[:6]}@example.org", name=f"Other {n}", password_hash="x")
        db.session.add(other)
    db.session.commit()


def learner_pages(public_id: str) -> list[str]:
    """The pages a learner sees, and public pages."""
    units = [u for u in catalogue().units if getattr(u, "task", None) is not None]
    return ["/dashboard", f"/units/{units[0].slug}", "/evidence", "/profile",
            "/my/badges", "/notifications", f"/b/{public_id}", "/framework", "/framework/COM", "/verify", "/"]


def assessor_pages() -> list[str]:
    """The pages an assessor sees."""
    return ["/assess"]


@pytest.fixture
def people(app, make_user):
    learner_id = make_user("teacher@example.org", "Test Teacher", "learner")
    assessor_id = make_user("assessor@example.org", "Asha Assessor", "assessor")
    return learner_id, assessor_id


def counts(app, people, units: int, other_learners: int) -> dict[str, int]:
    learner_id, assessor_id = people
    with app.app_context():
        add_learner_data(learner_id, assessor_id, units, other_learners)
        public_id = db.session.execute(db.select(BadgeAssertion.public_id)
                                       .where(BadgeAssertion.user_id == learner_id)).scalars().first()
        engine = db.engine
        paths = learner_pages(public_id)
    learner, assessor = app.test_client(), app.test_client()
    assert login(learner).status_code == 302
    assert login(assessor, "assessor@example.org").status_code == 302
    found = {}
    for client, paths in ((learner, paths), (assessor, assessor_pages())):
        for path in paths:
            client.get(path)  # first request of a page may warm caches; count the second
            with StatementCounter(engine) as counter:
                response = client.get(path)
            assert response.status_code in (200, 302), f"{path} answered {response.status_code}"
            found[path.replace(public_id, "<badge>")] = counter.count
    return found


def test_every_page_issues_a_bounded_number_of_statements_that_does_not_grow(app, people):
    small = counts(app, people, units=3, other_learners=2)
    with app.app_context():  # grow the same learner's data and the database around it
        for table in ("badge_assertions", "notifications", "unit_progress", "submissions"):
            db.session.execute(db.text(f"DELETE FROM {table}"))
        db.session.commit()
    larger = counts(app, people, units=12, other_learners=40)
    report = "\n".join(f"{path}: {small.get(path)} then {larger[path]}" for path in larger)
    assert all(count <= MAX_STATEMENTS for count in larger.values()), report
    assert small == larger, report
