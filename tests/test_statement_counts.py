"""Every page issues a small, fixed number of SQL statements, whatever the size of the data.

Each page is requested on a small data set and on a larger one (more learners, more evidence of
the learner's own, more badges, more notifications); the count must be the same on both and at
most MAX_STATEMENTS. Counts, not times: the test is exact on any machine.

The second test covers every page the later features added (marking and moderation, statistics,
cohorts and their reports, the register, the journal, calibration, the admin pages, the data
download page, the badge documents) on the demo programme (`flask demo seed`: a cohort of thirty
mentors at every stage, double marking, moderation, badges, a calibration round, a journal),
then on the same programme grown around every signed-in person.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from lms.assessment.models import MODERATION, Assessment, IndicatorScore, Mark, MarkingCase, MarkLevel
from lms.audit.services import record as record_event
from lms.badges.models import BadgeAssertion
from lms.calibration.models import CalibrationItem, CalibrationRound, CalibrationScore
from lms.cohorts.models import Cohort, CohortAssessor, CohortLearner, CohortTarget
from lms.content_store import catalogue
from lms.evidence.models import EvidenceVersion, Submission
from lms.extensions import db
from lms.journal.models import JournalEntry, Mentee
from lms.models import UnitProgress, User, UserRole, utcnow
from lms.notifications.models import Notification
from lms.record.models import RecordEntry

from .conftest import login, nothing_kept

MAX_STATEMENTS = 8


class StatementCounter:
    """Counts the statements the app sends to the database while active."""

    def __init__(self, engine):
        self.engine, self.count, self.statements = engine, 0, []

    def _count(self, conn, cursor, statement, *args):
        self.count += 1
        self.statements.append(statement)

    def __enter__(self):
        self.count, self.statements = 0, []
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


def count_pages(engine, clients_and_paths) -> dict[str, tuple[int, list[str]]]:
    """Each page's statements (the second request: the first may warm per-process caches), with no sign-in or
    page kept from an earlier request."""
    found = {}
    for client, paths in clients_and_paths:
        for label, path in paths:
            client.get(path)
            with nothing_kept(client.application), StatementCounter(engine) as counter:
                response = client.get(path)
            assert response.status_code in (200, 302), f"{path} answered {response.status_code}"
            found[label] = (counter.count, counter.statements)
    return found


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
    found = count_pages(engine, ((learner, [(p.replace(public_id, "<badge>"), p) for p in paths]),
                                 (assessor, [(p, p) for p in assessor_pages()])))
    return {label: count for label, (count, _) in found.items()}


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


# --- every page of the later features, on the demo programme and on it grown ---------------------------------

DEMO = {"learner": "learner@demo.example.org", "assessor": "assessor@demo.example.org",
        "lead": "lead@demo.example.org", "programme": "programme@demo.example.org",
        "admin": "admin@demo.example.org"}


def _one(statement):
    return db.session.execute(statement).scalars().first()


def demo_pages() -> dict[str, list[tuple[str, str]]]:
    """(label, path) of every page, by who requests it, with the ids of the demo's own records."""
    cat = catalogue()
    learner = _one(db.select(User).where(User.email == DEMO["learner"]))
    assessor = _one(db.select(User).where(User.email == DEMO["assessor"]))
    badge = _one(db.select(BadgeAssertion.public_id).where(BadgeAssertion.user_id == learner.id,
                                                           BadgeAssertion.revoked_at.is_(None))
                 .order_by(BadgeAssertion.id))
    unit = cat.task_units[0].slug
    waiting = _one(db.select(MarkingCase.version_id).where(MarkingCase.stage == "first",
                                                           MarkingCase.learner_id != assessor.id)
                   .order_by(MarkingCase.submitted_at))
    moderation = _one(db.select(MarkingCase.version_id).where(MarkingCase.stage == MODERATION))
    cohort = _one(db.select(Cohort.id).order_by(Cohort.id))
    calibration_round = _one(db.select(CalibrationRound.id).where(CalibrationRound.assessor_id == assessor.id))
    entry = _one(db.select(JournalEntry.id).where(JournalEntry.learner_id == learner.id))
    badge_class = cat.badge_classes[0].id
    with_exemplars = next(u.slug for u in cat.task_units if cat.exemplars(u.slug) is not None)
    assert None not in (badge, waiting, moderation, cohort, calibration_round, entry, learner.register_id)
    return {
        "learner": [
            ("dashboard", "/dashboard"), ("unit page", f"/units/{unit}"),
            ("evidence submission page", f"/units/{unit}/evidence"), ("portfolio", "/evidence"),
            ("exemplars", f"/units/{with_exemplars}/exemplars"),
            ("competency profile", "/profile"), ("notifications", "/notifications"),
            ("email settings", "/notifications/settings"), ("account", "/account"),
            ("journal", "/journal"), ("journal, printable", "/journal/print"),
            ("journal entry", f"/journal/entries/{entry}"), ("my data", "/my/data"),
            ("register profile", "/my/profile"), ("my badges", "/my/badges"),
            ("badge QR code", f"/my/badges/{badge}/qr.svg"),
        ],
        "public": [
            ("public badge page", f"/b/{badge}"), ("hosted assertion", f"/badges/assertions/{badge}"),
            ("baked PNG", f"/badges/assertions/{badge}/baked.png"),
            ("baked SVG", f"/badges/assertions/{badge}/baked.svg"),
            ("OB 3.0 credential", f"/badges/credentials/{badge}.json"),
            ("OB 3.0 PNG", f"/badges/credentials/{badge}.png"), ("OB 3.0 SVG", f"/badges/credentials/{badge}.svg"),
            ("badge class", f"/badges/classes/{badge_class}"),
            ("criteria page", f"/badges/classes/{badge_class}/criteria"), ("issuer", "/badges/issuer"),
            ("status list", "/badges/status/0"), ("verify", "/verify"), ("register", "/mentors"),
            ("register feed", "/mentors.json"), ("mentor page", f"/mentors/{learner.register_id}"),
            ("public agreement", "/agreement"), ("framework", "/framework"), ("home", "/"),
        ],
        "assessor": [
            ("assessor queue", "/assess"), ("marking page", f"/assess/{waiting}"),
            ("calibration", "/calibration"), ("calibration round", f"/calibration/rounds/{calibration_round}"),
        ],
        "lead": [
            ("moderation queue", "/assess/moderation"), ("moderation case", f"/assess/moderation/{moderation}"),
            ("statistics", "/statistics"),
        ],
        "programme": [
            ("cohorts", "/programme"), ("cohort page", f"/programme/cohorts/{cohort}"),
            ("cohort plan", f"/programme/cohorts/{cohort}/edit"),
            ("cohort report", f"/programme/cohorts/{cohort}/report"), ("programme people", "/programme/people"),
            ("enrolment", "/programme/enrol"),
        ],
        "admin": [
            ("admin users", "/admin/users"), ("audit trail", "/admin/audit"), ("admin badges", "/admin/badges"),
        ],
    }


def demo_counts(app, pages) -> dict[str, tuple[int, list[str]]]:
    logins = json.loads((Path(app.instance_path) / "demo-logins.json").read_text())
    with app.app_context():
        engine = db.engine
    clients = {"public": app.test_client()}
    for who, email in DEMO.items():
        clients[who] = app.test_client()
        assert login(clients[who], email, logins[email]).status_code == 302, who
    return count_pages(engine, [(clients[who], paths) for who, paths in pages.items()])


def grow(scale: int) -> None:
    """More of everything around every demo person: their own records and everyone else's."""
    cat = catalogue()
    now = utcnow()
    by_email = {u.email: u for u in db.session.execute(db.select(User).where(User.email.in_(DEMO.values())))
                .scalars()}
    learner, assessor, lead = by_email[DEMO["learner"]], by_email[DEMO["assessor"]], by_email[DEMO["lead"]]
    cohort = db.session.get(Cohort, _one(db.select(Cohort.id).order_by(Cohort.id)))
    units = cat.task_units
    # Other people: learners in the demo cohort and in new cohorts, in the register, with evidence
    # waiting, double-marked, in moderation and decided, with badges.
    for n in range(scale):
        person = User(email=f"grown{n}-{uuid.uuid4().hex[:6]}@example.org", name=f"Grown Learner {n}",
                      password_hash="x", school=f"School {n % 5}", region=f"Region {n % 3}", in_register=True,
                      register_id=uuid.uuid4().hex[:12])
        person.role_rows = [UserRole(role="learner")]
        db.session.add(person)
        db.session.flush()
        if n % 2:
            db.session.add(CohortLearner(user_id=person.id, cohort_id=cohort.id))
        else:
            other = Cohort(name=f"Grown cohort {n}", starts_on=date.today() - timedelta(days=30),
                           ends_on=date.today() + timedelta(days=90))
            other.targets = [CohortTarget(kind="unit", ref=u.slug, due_on=date.today() + timedelta(days=i))
                             for i, u in enumerate(units[:3])]
            db.session.add(other)
            db.session.flush()
            db.session.add(CohortLearner(user_id=person.id, cohort_id=other.id))
            db.session.add(CohortAssessor(cohort_id=other.id, user_id=assessor.id))
        for index, unit in enumerate(units[:4]):
            stage = ("first", "final", MODERATION, "second")[(n + index) % 4]
            submission = Submission(learner_id=person.id, unit_slug=unit.slug)
            db.session.add(submission)
            db.session.flush()
            submitted = now - timedelta(days=10 + n + index)
            status = "accepted" if stage == "final" else "submitted"
            version = EvidenceVersion(submission_id=submission.id, number=1, status=status,
                                      reflection="Grown evidence. " * 30, submitted_at=submitted)
            db.session.add(version)
            db.session.flush()
            db.session.add(MarkingCase(version_id=version.id, code=f"MC-G{uuid.uuid4().hex[:8].upper()}",
                                       learner_id=person.id, unit_slug=unit.slug, submitted_at=submitted,
                                       stage=stage, first_marker_id=None if stage == "first" else lead.id,
                                       finalised_at=submitted + timedelta(days=3) if stage == "final" else None))
            markers = {"first": [], "second": [lead], "final": [lead, assessor], MODERATION: [lead, assessor]}[stage]
            for seq, marker in enumerate(markers, start=1):
                outcome = "not_yet" if stage == MODERATION and seq == 2 else "accepted"
                mark = Mark(version_id=version.id, assessor_id=marker.id, seq=seq, outcome=outcome,
                            feedback="Grown mark.", marked_at=submitted + timedelta(days=seq))
                mark.levels = [MarkLevel(indicator_id=i, level=2 if outcome == "accepted" else 0)
                               for i in unit.task.indicator_ids]
                db.session.add(mark)
            if stage == "final":
                assessment = Assessment(version_id=version.id, assessor_id=lead.id, outcome="accepted",
                                        feedback="Grown decision.", decided_at=submitted + timedelta(days=3))
                assessment.scores = [IndicatorScore(indicator_id=i, level=2) for i in unit.task.indicator_ids]
                db.session.add(assessment)
                db.session.add_all(RecordEntry(learner_id=person.id, version_id=version.id, indicator_id=i,
                                               level=2, outcome="accepted", decided_at=submitted + timedelta(days=3))
                                   for i in unit.task.indicator_ids)
            db.session.add(UnitProgress(user_id=person.id, unit_slug=unit.slug))
        for badge in cat.badge_classes[:2]:
            db.session.add(BadgeAssertion(public_id=str(uuid.uuid4()), user_id=person.id, badge_class_id=badge.id,
                                          recipient_email=person.email, salt=secrets.token_hex(8), achieved_at=now,
                                          issued_at=now, is_public=True))
        record_event(lead, "user.created", f"user:{person.id}", email=person.email)
    # Longer histories: earlier versions, decided with levels and a file, before the evidence on the
    # demo learner's evidence page, the marking page and the moderation case.
    histories = [_one(db.select(Submission.id).where(Submission.learner_id == learner.id,
                                                     Submission.unit_slug == units[0].slug))]
    for stage in ("first", MODERATION):
        version_id = _one(db.select(MarkingCase.version_id).where(MarkingCase.stage == stage)
                          .order_by(MarkingCase.version_id))
        histories.append(db.session.get(EvidenceVersion, version_id).submission_id)
    for submission_id in histories:
        add_history(submission_id, scale // 3, lead.id, now)
    # The demo learner's own records: notifications, journal, mentees, completions.
    for n in range(scale):
        db.session.add(Notification(user_id=learner.id, message=f"Grown note {n}", link="/evidence"))
        mentee = Mentee(learner_id=learner.id, display_name=f"Grown mentee {n}")
        db.session.add(mentee)
        db.session.flush()
        db.session.add(JournalEntry(learner_id=learner.id, mentee_id=mentee.id, kind="meeting",
                                    occurred_on=date.today(), title=f"Grown meeting {n}", body="We met.",
                                    agreed="Next steps."))
        db.session.add(Notification(user_id=assessor.id, message=f"Grown note {n}", link="/assess"))
    done = set(db.session.execute(db.select(UnitProgress.unit_slug).where(UnitProgress.user_id == learner.id))
               .scalars())
    db.session.add_all(UnitProgress(user_id=learner.id, unit_slug=u.slug) for u in cat.units if u.slug not in done)
    # The assessor's own calibration rounds.
    exemplars = list(_calibration_exemplars())
    for n in range(scale // 2):
        finished = now - timedelta(days=40 + n)
        calibration_round = CalibrationRound(assessor_id=assessor.id, started_at=finished - timedelta(hours=1),
                                             completed_at=finished, judged=4, agreed=3)
        calibration_round.items = [
            CalibrationItem(position=p + 1, exemplar_id=exemplar_id, scored_at=finished,
                            scores=[CalibrationScore(indicator_id=i, level=1, agreed_level=1) for i in indicators])
            for p, (exemplar_id, indicators) in enumerate(exemplars[:3])]
        db.session.add(calibration_round)
    db.session.commit()


def add_history(submission_id: int, count: int, assessor_id: int, now) -> None:
    """``count`` earlier versions of a submission, each returned "not yet" with its levels and a file."""
    from lms.evidence.models import EvidenceFile
    submission = db.session.get(Submission, submission_id)
    unit = catalogue().unit(submission.unit_slug)
    db.session.execute(db.update(EvidenceVersion).where(EvidenceVersion.submission_id == submission_id)
                       .values(number=EvidenceVersion.number + 1000))
    db.session.execute(db.update(EvidenceVersion).where(EvidenceVersion.submission_id == submission_id)
                       .values(number=EvidenceVersion.number - 1000 + count))
    for number in range(1, count + 1):
        when = now - timedelta(days=200 - number)
        version = EvidenceVersion(submission_id=submission_id, number=number, status="not_yet",
                                  reflection=f"Earlier version {number}.", submitted_at=when)
        version.files = [EvidenceFile(original_name=f"notes{number}.pdf", storage_key=uuid.uuid4().hex,
                                      content_type="application/pdf", kind="PDF", size=100, sha256="0" * 64)]
        db.session.add(version)
        db.session.flush()
        assessment = Assessment(version_id=version.id, assessor_id=assessor_id, outcome="not_yet",
                                feedback="Not yet.", decided_at=when + timedelta(days=2))
        assessment.scores = [IndicatorScore(indicator_id=i, level=1) for i in unit.task.indicator_ids]
        db.session.add(assessment)
    db.session.expire_all()


def _calibration_exemplars():
    from lms.calibration.services import bank
    for exemplar in bank().exemplars:
        yield exemplar.id, [i for i, _ in exemplar.agreed_levels]


def test_every_page_of_every_feature_stays_within_the_bound_as_the_programme_grows(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    with app.app_context():
        pages = demo_pages()
    small = demo_counts(app, pages)
    with app.app_context():
        grow(scale=12)
    larger = demo_counts(app, pages)
    report = "\n".join(f"{label}: {small[label][0]} then {count}" for label, (count, _) in larger.items())
    over = {label: statements for label, (count, statements) in larger.items()
            if count > MAX_STATEMENTS or count != small[label][0]}
    details = "\n\n".join(f"{label}:\n" + "\n".join(" ".join(s.split())[:400] for s in statements)
                          for label, statements in over.items())
    assert not over, report + "\n\n" + details
