"""The mentoring journal: dated entries, goals and reviews, attached as evidence; the mentee's own feedback."""

from __future__ import annotations

import re

from lms.extensions import db
from lms.journal.models import JournalEntry

from .conftest import csrf_token, submit
from .evidence_helpers import assessor_decides, save_evidence

UNIT = "active-listening-and-rapport"


def post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/journal"), **data})


def submit_with_entry(learner, entry_id):
    """Save a draft, attach one journal entry to it, and submit it."""
    save_evidence(learner, UNIT)
    learner.post(f"/units/{UNIT}/evidence/journal",
                 data={"csrf_token": csrf_token(learner, f"/units/{UNIT}/evidence"), "entry": [str(entry_id)]})
    page = learner.get(f"/units/{UNIT}/evidence").get_data(as_text=True)
    revision = re.search(r'id="revision" name="revision" type="hidden" value="(\d+)"', page).group(1)
    save_evidence(learner, UNIT, submit=True, revision=revision)


def test_entries_are_dated_by_the_app_and_an_edit_keeps_the_first_time(app, learner):
    assert post(learner, "/journal/mentees", {"display_name": "Ravi"}).status_code == 302
    refused = post(learner, "/journal/mentees", {"display_name": "Ravi Ramgoolam"})
    assert refused.status_code == 400 and "first name or a code only" in refused.get_data(as_text=True)
    assert 'value="Ravi Ramgoolam"' in refused.get_data(as_text=True)  # kept to correct
    with app.app_context():
        from lms.journal.models import Mentee
        ravi = db.session.execute(db.select(Mentee)).scalar_one().id
    goal = {"kind": "goal", "occurred_on": "2026-10-05", "title": "Ask three open questions in each Form 3 lesson by 30 Oct",
            "body": "Ravi chose questioning.", "agreed": "We count them in my observation notes.", "mentee_id": str(ravi)}
    assert post(learner, "/journal/entries", goal).status_code == 302
    with app.app_context():
        entry = db.session.execute(db.select(JournalEntry)).scalar_one()
        first, goal_id = entry.created_at, entry.id
        assert entry.updated_at is None
    # A validation error keeps everything typed.
    bad = post(learner, "/journal/entries", {"kind": "goal_review", "occurred_on": "2026-10-20", "title": "Halfway",
                                             "body": "Two questions a lesson so far."})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Choose the SMART goal" in page and "Two questions a lesson so far." in page
    review = {"kind": "goal_review", "occurred_on": "2026-10-20", "title": "Halfway", "body": "Two a lesson.",
              "goal_id": str(goal_id), "mentee_id": str(ravi)}
    assert post(learner, "/journal/entries", review).status_code == 302
    edited = dict(goal, body="Ravi chose questioning after watching my lesson.")
    assert post(learner, f"/journal/entries/{goal_id}", edited).status_code == 302
    with app.app_context():
        entry = db.session.get(JournalEntry, goal_id)
        assert entry.created_at == first and entry.updated_at is not None and "watching" in entry.body
    journal = learner.get("/journal").get_data(as_text=True)
    assert "Reviews the goal “Ask three open questions" in journal and "edited" in journal
    assert "Halfway" in learner.get("/journal/print").get_data(as_text=True)


def test_entries_attached_to_evidence_are_seen_by_the_assessor_without_the_learners_name(app, learner, assessor_client):
    post(learner, "/journal/entries", {"kind": "meeting", "occurred_on": "2026-10-07", "title": "Debrief after 3B lesson",
                                       "body": "She spoke first.", "agreed": "Try think-pair-share on Monday."})
    with app.app_context():
        entry_id = db.session.execute(db.select(JournalEntry.id)).scalar_one()
    save_evidence(learner, UNIT)
    response = learner.post(f"/units/{UNIT}/evidence/journal",
                            data={"csrf_token": csrf_token(learner, f"/units/{UNIT}/evidence"), "entry": [str(entry_id)]})
    assert response.status_code == 302
    assert "Debrief after 3B lesson" in learner.get(f"/units/{UNIT}/evidence").get_data(as_text=True)
    page = learner.get(f"/units/{UNIT}/evidence").get_data(as_text=True)
    revision = re.search(r'id="revision" name="revision" type="hidden" value="(\d+)"', page).group(1)
    save_evidence(learner, UNIT, submit=True, revision=revision)
    with app.app_context():
        from lms.evidence.models import EvidenceVersion
        version_id = db.session.execute(db.select(EvidenceVersion.id)).scalar_one()
    assessor_client.post(f"/assess/{version_id}/claim", data={"csrf_token": csrf_token(assessor_client, "/assess")})
    seen = assessor_client.get(f"/assess/{version_id}").get_data(as_text=True)
    assert "Debrief after 3B lesson" in seen and "Try think-pair-share on Monday." in seen and "written" in seen


def test_the_mentee_answers_once_then_withdraws_before_a_decision(app, learner, client):
    post(learner, "/journal/mentees", {"display_name": "Anjali"})
    with app.app_context():
        from lms.journal.models import Mentee
        mentee = db.session.execute(db.select(Mentee)).scalar_one().id
    flashed = post(learner, "/journal/feedback-requests", {"mentee_id": str(mentee)})
    link = re.search(r"(/feedback/[\w-]+)", learner.get(flashed.location).get_data(as_text=True)).group(1)
    visitor = app.test_client()
    form = visitor.get(link)
    assert form.status_code == 200 and "no one else sees them" in form.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.get_data(as_text=True)).group(1)
    incomplete = visitor.post(link, data={"csrf_token": token, "listening": "Always", "comment": "Kind and clear."})
    assert incomplete.status_code == 400 and "Kind and clear." in incomplete.get_data(as_text=True)
    answers = {"listening": "Always", "feedback": "Mostly", "respect": "Always", "agency": "Sometimes"}
    thanks = visitor.post(link, data={"csrf_token": token, **answers, "comment": "Kind and clear."})
    withdraw_link = re.search(r'href="[^"]*(/feedback/withdraw/[\w-]+)"', thanks.get_data(as_text=True)).group(1)
    assert visitor.get(link).status_code == 410  # single use
    journal = learner.get("/journal").get_data(as_text=True)
    assert "Feedback from the mentee" in journal and "Kind and clear." in journal and "unedited" in journal
    with app.app_context():
        entry = db.session.execute(db.select(JournalEntry).where(JournalEntry.kind == "mentee_feedback")).scalar_one()
        assert entry.answers == answers
    # An edit of the mentee's own words is refused.
    refused = post(learner, f"/journal/entries/{entry.id}", {"kind": "observation", "occurred_on": "2026-10-01",
                                                             "title": "x"})
    assert "stays exactly as they gave it" in refused.get_data(as_text=True)
    page = visitor.get(withdraw_link)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = visitor.post(withdraw_link, data={"csrf_token": token})
    assert "withdrawn and deleted" in done.get_data(as_text=True)
    assert "Kind and clear." not in learner.get("/journal").get_data(as_text=True)


def test_feedback_used_in_a_decision_is_hidden_when_withdrawn_and_the_decision_stands(app, learner, assessor_client):
    post(learner, "/journal/mentees", {"display_name": "Anjali"})
    with app.app_context():
        from lms.journal.models import Mentee
        from lms.journal import services
        from lms.models import User
        mentee = db.session.execute(db.select(Mentee)).scalar_one().id
        user = db.session.execute(db.select(User).where(User.email == "teacher@example.org")).scalar_one()
        token = services.request_feedback(user, mentee)
        entry, withdraw = services.submit_feedback(token, {"listening": "Always", "feedback": "Always",
                                                           "respect": "Always", "agency": "Mostly"}, "Very helpful.")
        entry_id = entry.id
    submit_with_entry(learner, entry_id)
    with app.app_context():
        from lms.evidence.models import EvidenceVersion
        version = db.session.execute(db.select(EvidenceVersion)).scalar_one()
        version_id = version.id
        indicators = {i: 2 for i in __import__("lms.content_store", fromlist=["catalogue"]).catalogue().unit(UNIT).task.indicator_ids}
    assessor_decides(assessor_client, version_id, indicators, "accepted")
    with app.app_context():
        message = services.withdraw_feedback(withdraw)
        assert "decision stands" in message
        assert db.session.get(JournalEntry, entry_id).hidden_at is not None
        assert services.attached_to(version_id) == []
        assert db.session.get(EvidenceVersion, version_id).status in ("accepted", "submitted")


def test_the_journal_is_in_the_data_download_and_goes_with_an_erased_account(app, learner, admin_client):
    import io
    import json
    import zipfile

    post(learner, "/journal/entries", {"kind": "observation", "occurred_on": "2026-10-09", "title": "Form 2 science",
                                       "body": "Clear starter."})
    archive = zipfile.ZipFile(io.BytesIO(learner.get("/my/data.zip").data))
    assert json.loads(archive.read("journal.json"))[0]["title"] == "Form 2 science"
    with app.app_context():
        from lms.models import User
        uid = db.session.execute(db.select(User.id).where(User.email == "teacher@example.org")).scalar_one()
    from .conftest import submit
    assert submit(admin_client, f"/admin/users/{uid}/erase", {"confirmation": "teacher@example.org"}).status_code == 302
    with app.app_context():
        assert db.session.execute(db.select(JournalEntry)).first() is None


def test_a_revision_keeps_the_journal_entries_attached_to_the_version_it_revises(app, learner, assessor_client):
    post(learner, "/journal/entries", {"kind": "observation", "occurred_on": "2026-10-09", "title": "Form 2 listening task",
                                       "body": "She waited for answers.", "agreed": ""})
    with app.app_context():
        entry_id = db.session.execute(db.select(JournalEntry.id)).scalar_one()
    submit_with_entry(learner, entry_id)
    with app.app_context():
        from lms.evidence.models import EvidenceVersion
        first_id = db.session.execute(db.select(EvidenceVersion.id)).scalar_one()
    assessor_decides(assessor_client, first_id, {"COM.3": 1, "COM.4": 1, "COM.7": 1}, "not_yet", feedback="Add more.")
    started = learner.post(f"/units/{UNIT}/evidence/revise",
                           data={"csrf_token": csrf_token(learner, f"/units/{UNIT}/evidence")})
    assert started.status_code == 302
    with app.app_context():
        from lms.evidence.models import EvidenceVersion
        from lms.journal import services
        draft_id = db.session.execute(db.select(EvidenceVersion.id).where(EvidenceVersion.number == 2)).scalar_one()
        assert [e.id for e in services.attached_to(draft_id)] == [entry_id]
        assert [e.id for e in services.attached_to(first_id)] == [entry_id]  # the decided version keeps its own
    assert "Form 2 listening task" in learner.get(f"/units/{UNIT}/evidence").get_data(as_text=True)
