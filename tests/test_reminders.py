"""Reminders by email to learners a few days before a target date of their cohort's plan."""

from __future__ import annotations

from datetime import timedelta

from lms.cohorts import services as cohorts
from lms.cohorts.reminders import send_reminders
from lms.domain.cohort_plan import PlanTarget
from lms.evidence import services as evidence
from lms.extensions import db
from lms.models import User

from .conftest import login, submit
from .evidence_helpers import REFLECTION
from .mail_helpers import body, smtp  # noqa: F401 - smtp is a fixture

UNIT = "empathy-and-respect"


def cohort_with_target(app, make_user, learners):
    """A cohort whose plan has UNIT due in REMINDER_DAYS days, with these learners enrolled."""
    lead_id = make_user("lead@example.org", "Pat Lead", "programme_lead")
    ids = [make_user(email, name) for email, name in learners]
    with app.test_request_context():
        today = cohorts.today()
        due = today + timedelta(days=app.config["REMINDER_DAYS"])
        lead = db.session.get(User, lead_id)
        cohort = cohorts.create_cohort(lead, "Intake 2027", today - timedelta(days=10), today + timedelta(days=90))
        cohorts.update_cohort(lead, cohort.id, cohort.name, cohort.starts_on, cohort.ends_on,
                              [PlanTarget("unit", UNIT, due)])
        for user_id in ids:
            cohorts.enrol(lead, db.session.get(User, user_id), cohort)
        return today, ids


def test_learners_are_reminded_once_a_few_days_before_a_target_they_have_not_met(app, make_user, smtp):
    today, (behind, done) = cohort_with_target(app, make_user, [("behind@example.org", "Bea Behind"),
                                                                ("done@example.org", "Dan Done")])
    with app.test_request_context():
        learner = db.session.get(User, done)
        evidence.save_draft(learner, UNIT, evidence.DraftInput(REFLECTION, "", 0), submit=True)
        assert send_reminders(today - timedelta(days=1)) == 0  # four days before: not yet
        assert send_reminders(today) == 1
        assert send_reminders(today) == 0  # once
    [reminder] = smtp.inbox.to("behind@example.org")
    assert "3 days to your next target" in reminder["Subject"]
    assert "Intake 2027" in body(reminder) and "Empathy" in body(reminder)
    assert smtp.inbox.to("done@example.org") == []


def test_a_learner_can_turn_reminders_off(app, make_user, smtp):
    today, _ = cohort_with_target(app, make_user, [("teacher@example.org", "Test Teacher")])
    client = app.test_client()
    login(client)
    submit(client, "/notifications/settings", {"kinds": ["decisions", "badges"]})
    with app.test_request_context():
        assert send_reminders(today) == 0
    assert smtp.inbox.messages == []
