"""Notifications by email (decisions, badges), each person's choice of optional emails, and the
assessors' daily digest; read from a real SMTP server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lms.assessment.digest import send_daily_digests
from lms.assessment.models import MarkingCase
from lms.evidence import services as evidence
from lms.evidence.models import EvidenceVersion
from lms.extensions import db
from lms.models import User

from .conftest import submit
from .evidence_helpers import REFLECTION
from .mail_helpers import body, smtp  # noqa: F401 - smtp is a fixture
from .test_badges import PD_UNITS, accept


def subjects(inbox, address):
    return [m["Subject"] for m in inbox.to(address)]


def test_decisions_and_badges_also_arrive_by_email(app, learner, smtp):
    for slug in PD_UNITS:
        accept(app, "teacher@example.org", slug)
    got = subjects(smtp.inbox, "teacher@example.org")
    assert sum("was accepted" in s for s in got) == 3
    assert any(s.startswith("You earned the badge") for s in got)
    decision = next(m for m in smtp.inbox.to("teacher@example.org") if "was accepted" in m["Subject"])
    assert "http://localhost/units/empathy-and-respect/evidence" in body(decision)  # an absolute link to it
    assert "/notifications/settings" in body(decision)  # and to turn such emails off


def test_a_learner_turns_decision_emails_off_and_keeps_badge_emails(app, learner, smtp):
    page = learner.get("/notifications/settings").get_data(as_text=True)
    assert 'value="decisions"' in page and 'value="digest"' not in page
    response = submit(learner, "/notifications/settings", {"kinds": ["badges", "reminders"]})
    assert response.status_code == 302
    page = learner.get("/notifications/settings").get_data(as_text=True)
    assert 'value="decisions" id="kind-decisions">' in page  # unchecked now
    assert 'value="badges" id="kind-badges" checked>' in page
    for slug in PD_UNITS:
        accept(app, "teacher@example.org", slug)
    got = subjects(smtp.inbox, "teacher@example.org")
    assert not any("was accepted" in s for s in got)
    assert any(s.startswith("You earned the badge") for s in got)
    # The notifications page still has every decision.
    assert learner.get("/notifications").get_data(as_text=True).count("was accepted") == 3


def test_the_settings_page_needs_its_csrf_token(learner):
    assert learner.post("/notifications/settings", data={"kinds": "badges"}).status_code == 400


# --- the assessors' daily digest ---------------------------------------------------------------

def at(hour: int, days_ahead: int = 0) -> datetime:
    today = datetime.now(timezone.utc).replace(hour=hour, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days_ahead)


def waiting_work(app, make_user):
    """Two submissions in the queue: one from today, one waiting for ten days."""
    learner_id = make_user("learner@example.org", "Lina Learner-Secret", "learner")
    with app.test_request_context():
        learner = db.session.get(User, learner_id)
        versions = [evidence.save_draft(learner, slug, evidence.DraftInput(REFLECTION, "", 0), submit=True).version.id
                    for slug in PD_UNITS[:2]]
        db.session.get(EvidenceVersion, versions[1]).submitted_at = at(7, -10)
        db.session.get(MarkingCase, versions[1]).submitted_at = at(7, -10)  # the queue's copy of the time
        db.session.commit()


def test_assessors_get_one_digest_a_day_of_new_and_overdue_work(app, make_user, smtp):
    make_user("assessor@example.org", "Asha Assessor", "assessor")
    waiting_work(app, make_user)
    with app.test_request_context():
        assert send_daily_digests(at(app.config["DIGEST_HOUR"] - 1)) == 0  # not yet time
        assert send_daily_digests(at(app.config["DIGEST_HOUR"] + 1)) == 1
        assert send_daily_digests(at(app.config["DIGEST_HOUR"] + 2)) == 0  # once a day
    [digest] = smtp.inbox.to("assessor@example.org")
    assert digest["Subject"] == "Assessment queue: 1 new, 1 overdue"
    text = body(digest)
    assert "2 submissions are waiting for you to assess" in text and "10 days" in text
    assert "1 past the target of a decision within 5 working days" in text
    assert "http://localhost/assess" in text
    assert "Lina" not in text and "learner@example.org" not in text  # blind marking
    assert smtp.inbox.to("learner@example.org") == []


def test_no_digest_when_turned_off_or_when_nothing_waits(app, make_user, smtp):
    make_user("assessor@example.org", "Asha Assessor", "assessor")
    with app.test_request_context():
        assert send_daily_digests(at(app.config["DIGEST_HOUR"] + 1)) == 0  # empty queue
    waiting_work(app, make_user)
    from .conftest import login
    client = app.test_client()
    login(client, "assessor@example.org")
    assert submit(client, "/notifications/settings", {}).status_code == 302  # every box unticked
    with app.test_request_context():
        assert send_daily_digests(at(app.config["DIGEST_HOUR"] + 1)) == 0
    assert smtp.inbox.messages == []
