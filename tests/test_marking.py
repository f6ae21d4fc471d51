"""Blind, double and moderated marking; the learner's view of where a submission is; reviews; the
assessor's notes that are never lost; a queue whose SQL does not grow with its size."""

from __future__ import annotations

import json
import re
from datetime import timedelta


from lms.assessment import services as assessment
from lms.assessment.models import Assessment, Mark, MarkingCase, MarkingNote, ReviewRequest
from lms.auth import services as accounts
from lms.content_store import catalogue
from lms.evidence import services as evidence
from lms.evidence.models import EvidenceVersion
from lms.extensions import db
from lms.models import AuditEvent, User, utcnow
from lms.notifications.models import Notification

from .conftest import PASSWORD, csrf_token, nothing_kept, signed_in, statements_sent
from .evidence_helpers import PDF, REFLECTION, assessor_decides, evidence_page, save_evidence

LISTENING = "active-listening-and-rapport"  # COM.3, COM.4, COM.7
LEARNER_NAME, LEARNER_EMAIL = "Zanele Quintero-Baptiste", "zanele.qb@example.org"


def learner_client(app, make_user):
    return signed_in(app, make_user, LEARNER_EMAIL, LEARNER_NAME, "learner")


def version_id_of(app, number=1):
    with app.app_context():
        return db.session.execute(db.select(EvidenceVersion.id).where(EvidenceVersion.number == number)
                                  .order_by(EvidenceVersion.id)).scalars().first()


def case_of(app, version_id):
    with app.app_context():
        case = db.session.get(MarkingCase, version_id)
        db.session.expunge(case)
        return case


def levels(a, b, c):
    return {"COM.3": a, "COM.4": b, "COM.7": c}


def no_identity(text: str) -> bool:
    return LEARNER_NAME not in text and LEARNER_EMAIL not in text and "Zanele" not in text


def test_uncalibrated_first_mark_is_second_marked_blind_and_agreement_finalises(app, make_user):
    learner = learner_client(app, make_user)
    save_evidence(learner, LISTENING, files=[("zanele-observation.pdf", PDF)], submit=True)
    vid = version_id_of(app)
    first = signed_in(app, make_user, "new@example.org", "Nia New", "assessor")  # not calibrated
    second = signed_in(app, make_user, "lead@example.org", "Lee Lead", ("assessor", "lead_assessor"))

    assert "Waiting for an assessor" in evidence_page(learner, LISTENING)
    assert "A decision is due by" in evidence_page(learner, LISTENING)
    response = assessor_decides(first, vid, levels(3, 2, 2), "accepted", feedback="Vivid account of rapport.",
                                comments={"COM.3": "Strong paraphrase."})
    assert response.status_code == 302
    assert "second, independent assessor" in first.get("/assess").get_data(as_text=True)
    assert case_of(app, vid).stage == "second"
    assert "uncalibrated_first_marker" in case_of(app, vid).second_reasons
    # The learner sees where it is, and no decision yet.
    page = evidence_page(learner, LISTENING)
    assert "Second marking" in page and "Vivid account" not in page and "Accepted</h4>" not in page
    # The first marker cannot give the second mark; the second marker never sees the first mark.
    assert "0 submissions waiting" in first.get("/assess").get_data(as_text=True)
    queue = second.get("/assess").get_data(as_text=True)
    assert "second mark" in queue and no_identity(queue)
    second.post(f"/assess/{vid}/claim", data={"csrf_token": csrf_token(second, "/assess")})
    page = second.get(f"/assess/{vid}").get_data(as_text=True)
    assert "Vivid account" not in page and "Strong paraphrase" not in page and "Nia New" not in page
    assert no_identity(page) and "zanele-observation" not in page

    assessor_decides(second, vid, levels(2, 2, 3), "accepted", feedback="Clear, specific evidence.", claim=False)
    with app.app_context():
        final = db.session.execute(db.select(Assessment)).scalar_one()
        assert {s.indicator_id: s.level for s in final.scores} == levels(2, 2, 2)  # the lower of the two
        assert final.outcome == "accepted"
        assert db.session.execute(db.select(db.func.count()).select_from(Mark)).scalar_one() == 2
    page = evidence_page(learner, LISTENING)
    assert "Vivid account of rapport." in page and "Clear, specific evidence." in page
    assert "Nia New" not in page and "Lee Lead" not in page  # both feedbacks, no assessor named
    assert "was accepted" in learner.get("/notifications").get_data(as_text=True)


def test_disagreeing_marks_go_to_moderation_where_a_lead_decides_with_a_reason(app, make_user):
    learner = learner_client(app, make_user)
    save_evidence(learner, LISTENING, submit=True)
    vid = version_id_of(app)
    first = signed_in(app, make_user, "new@example.org", "Nia New", "assessor")
    second = signed_in(app, make_user, "cal@example.org", "Cal Ibrated", ("assessor", "lead_assessor"))
    lead = signed_in(app, make_user, "lead@example.org", "Lee Lead", "lead_assessor")
    assessor_decides(first, vid, levels(3, 3, 3), "accepted", feedback="Excellent.")
    assessor_decides(second, vid, levels(1, 2, 1), "not_yet", feedback="Needs a concrete example.")
    assert case_of(app, vid).stage == "moderation"
    assert "Moderation" in evidence_page(learner, LISTENING)
    with app.app_context():
        assert db.session.execute(db.select(Assessment)).first() is None  # nothing final yet

    # The lead is told by code, never by name; sees both marks side by side.
    notes = lead.get("/notifications").get_data(as_text=True)
    code = case_of(app, vid).code
    assert f"{code}" in notes and "needs moderation" in notes and no_identity(notes)
    assert code in lead.get("/assess/moderation").get_data(as_text=True)
    page = lead.get(f"/assess/moderation/{vid}").get_data(as_text=True)
    assert "Excellent." in page and "Needs a concrete example." in page and no_identity(page)
    # The markers themselves cannot moderate their own disagreement.
    assert second.get(f"/assess/moderation/{vid}").status_code == 404

    token = csrf_token(lead, f"/assess/moderation/{vid}")
    data = {"csrf_token": token, "outcome": "not_yet", "feedback": "", "reason": "",
            "level_COM_3": "1", "level_COM_4": "2", "level_COM_7": "1"}
    refused = lead.post(f"/assess/moderation/{vid}", data=data)
    assert refused.status_code == 400 and "Give the reason" in refused.get_data(as_text=True)
    data["reason"] = "No example of building rapport: the second mark is right."
    assert lead.post(f"/assess/moderation/{vid}", data=data).status_code == 302
    with app.app_context():
        final = db.session.execute(db.select(Assessment)).scalar_one()
        assert final.outcome == "not_yet" and {s.indicator_id: s.level for s in final.scores} == levels(1, 2, 1)
        actions = db.session.execute(db.select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
        assert actions.count("assessment.marked") == 2 and "assessment.moderated" in actions
        moderated = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "assessment.moderated")
                                       ).scalar_one()
        assert "second mark is right" in json.loads(moderated.details)["reason"]
    page = evidence_page(learner, LISTENING)
    assert "Returned “not yet”" in page and "Needs a concrete example." in page and "Excellent." in page
    assert lead.post(f"/assess/moderation/{vid}", data=data).status_code == 302  # a second try changes nothing
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Assessment)).scalar_one() == 1


def test_a_share_of_calibrated_first_marks_is_drawn_for_second_marking(app):
    app.config["SECOND_MARKING_SHARE"] = 1.0  # every submission drawn
    with app.test_request_context():
        learner = accounts.create_user("l@example.org", "Lina", PASSWORD)
        lead = accounts.create_user("a@example.org", "Ann", PASSWORD, ("assessor", "lead_assessor"))
        version = evidence.save_draft(learner, LISTENING, evidence.DraftInput(REFLECTION, "", 0), submit=True).version
        result = assessment.decide(lead, assessment.Decision(
            version.id, "accepted", "", tuple(assessment.IndicatorJudgement(i, 2) for i in levels(0, 0, 0))))
        assert result.stage == "second" and result.final is None
        assert db.session.get(MarkingCase, version.id).second_reasons == "sampled"


def test_a_submission_that_would_complete_the_credential_is_second_marked(app):
    with app.test_request_context():
        learner = accounts.create_user("l@example.org", "Lina", PASSWORD)
        lead = accounts.create_user("a@example.org", "Ann", PASSWORD, ("assessor", "lead_assessor"))
        units = catalogue().task_units
        for unit in units:
            version = evidence.save_draft(learner, unit.slug, evidence.DraftInput(REFLECTION, "", 0), submit=True).version
            result = assessment.decide(lead, assessment.Decision(
                version.id, "accepted", "", tuple(assessment.IndicatorJudgement(i, 2) for i in unit.task.indicator_ids)))
            expected = "second" if unit is units[-1] else "final"
            assert result.stage == expected, unit.slug
        assert "completes_credential" in db.session.get(MarkingCase, version.id).second_reasons


def test_blind_marking_can_be_turned_off(app, make_user, assessor_client):
    app.config["BLIND_MARKING"] = False
    learner = learner_client(app, make_user)
    save_evidence(learner, LISTENING, submit=True)
    assert LEARNER_NAME in assessor_client.get("/assess").get_data(as_text=True)


def test_no_page_or_notification_about_a_submission_names_the_learner_to_anyone_marking(app, make_user, admin_client):
    learner = learner_client(app, make_user)
    save_evidence(learner, LISTENING, files=[("Zanele.pdf", PDF)], submit=True)
    vid = version_id_of(app)
    first = signed_in(app, make_user, "new@example.org", "Nia New", "assessor")
    second = signed_in(app, make_user, "cal@example.org", "Cal Ibrated", ("assessor", "lead_assessor"))
    seen = [first.get("/assess").get_data(as_text=True)]
    first.post(f"/assess/{vid}/claim", data={"csrf_token": csrf_token(first, "/assess")})
    seen.append(first.get(f"/assess/{vid}").get_data(as_text=True))
    assessor_decides(first, vid, levels(3, 3, 3), "accepted", claim=False)
    seen.append(first.get(f"/assess/{vid}").get_data(as_text=True))  # their own mark, read only
    # An admin marks blind too.
    seen.append(admin_client.get("/assess").get_data(as_text=True))
    admin_client.post(f"/assess/{vid}/claim", data={"csrf_token": csrf_token(admin_client, "/assess")})
    seen.append(admin_client.get(f"/assess/{vid}").get_data(as_text=True))
    admin_client.post(f"/assess/{vid}/release", data={"csrf_token": csrf_token(admin_client, "/assess")})
    lead = signed_in(app, make_user, "lead@example.org", "Lee Lead", "lead_assessor")
    assessor_decides(second, vid, levels(1, 1, 1), "not_yet", feedback="Needs an example.")
    seen += [lead.get("/assess/moderation").get_data(as_text=True),
             lead.get(f"/assess/moderation/{vid}").get_data(as_text=True)]
    for client in (first, second, lead):
        seen.append(client.get("/notifications").get_data(as_text=True))
    with app.app_context():
        links = db.session.execute(db.select(Notification.link).where(Notification.user_id != db.select(User.id).where(
            User.email == LEARNER_EMAIL).scalar_subquery())).scalars().all()
    with first.get(f"/assess/{vid}") as own:
        file_id = own.get_data(as_text=True).split('href="/assess/files/', 1)[1].split('"', 1)[0]
    with first.get(f"/assess/files/{file_id}") as download:
        seen.append(download.headers["Content-Disposition"])
    assert links, "the lead assessor was told about the moderation"
    for text in seen:
        assert no_identity(text), text[:200]


def test_the_learner_asks_for_a_review_once_and_a_lead_decides_it(app, make_user, assessor_client):
    learner = learner_client(app, make_user)
    save_evidence(learner, LISTENING, submit=True)
    vid = version_id_of(app)
    lead = signed_in(app, make_user, "lead@example.org", "Lee Lead", "lead_assessor")
    assessor_decides(assessor_client, vid, levels(1, 1, 1), "not_yet", feedback="Add an example.")
    page = evidence_page(learner, LISTENING)
    assert "Ask for a review of this decision" in page
    token = csrf_token(learner, f"/units/{LISTENING}/evidence")
    empty = learner.post(f"/assess/review-request/{vid}", data={"csrf_token": token, "reason": " "},
                         follow_redirects=True)
    assert "Say why you are asking for a review" in empty.get_data(as_text=True)
    asked = learner.post(f"/assess/review-request/{vid}", data={"csrf_token": token, "reason": "My example is in paragraph 2."},
                         follow_redirects=True).get_data(as_text=True)
    assert "Your request for a review was sent" in asked and "You asked for a review on" in asked
    again = learner.post(f"/assess/review-request/{vid}", data={"csrf_token": token, "reason": "Again"},
                         follow_redirects=True).get_data(as_text=True)
    assert "already asked for a review" in again
    # A lead who did not mark it decides; the one who marked it cannot.
    with app.app_context():
        review_id = db.session.execute(db.select(ReviewRequest.id)).scalar_one()
    assert assessor_client.get(f"/assess/reviews/{review_id}").status_code == 404
    assert "A review of the decision on submission" in lead.get("/notifications").get_data(as_text=True)
    page = lead.get(f"/assess/reviews/{review_id}").get_data(as_text=True)
    assert "My example is in paragraph 2." in page and no_identity(page)
    token = csrf_token(lead, f"/assess/reviews/{review_id}")
    assert lead.post(f"/assess/reviews/{review_id}", data={"csrf_token": token, "result": "upheld",
                                                           "response": ""}).status_code == 400
    done = lead.post(f"/assess/reviews/{review_id}", data={"csrf_token": token, "result": "upheld",
                                                           "response": "Paragraph 2 describes, but gives no example."})
    assert done.status_code == 302
    page = evidence_page(learner, LISTENING)
    assert "the decision was\n        <strong>upheld</strong>" in page or "<strong>upheld</strong>" in page
    assert "gives no example" in page
    with app.app_context():
        actions = set(db.session.execute(db.select(AuditEvent.action)).scalars())
        assert {"assessment.review_requested", "assessment.review_decided"} <= actions


def test_a_review_can_only_be_asked_for_within_the_review_days(app, make_user, assessor_client):
    learner = learner_client(app, make_user)
    save_evidence(learner, LISTENING, submit=True)
    vid = version_id_of(app)
    assessor_decides(assessor_client, vid, levels(1, 1, 1), "not_yet", feedback="Add an example.")
    with app.app_context():
        db.session.execute(db.update(Assessment).values(decided_at=utcnow() - timedelta(days=15)))
        db.session.commit()
    assert "Ask for a review" not in evidence_page(learner, LISTENING)
    token = csrf_token(learner, f"/units/{LISTENING}/evidence")
    late = learner.post(f"/assess/review-request/{vid}", data={"csrf_token": token, "reason": "Please"},
                        follow_redirects=True).get_data(as_text=True)
    assert "within 14 days" in late


def test_an_assessors_work_is_kept_when_refused_autosaved_and_shown_read_only_after_losing_the_claim(app, make_user):
    learner = learner_client(app, make_user)
    save_evidence(learner, LISTENING, submit=True)
    vid = version_id_of(app)
    mine = signed_in(app, make_user, "me@example.org", "Mo Me", ("assessor", "lead_assessor"))
    other = signed_in(app, make_user, "you@example.org", "Yu You", ("assessor", "lead_assessor"))
    mine.post(f"/assess/{vid}/claim", data={"csrf_token": csrf_token(mine, "/assess")})
    # Autosave needs the CSRF token like any form.
    assert mine.post(f"/assess/{vid}/notes", data={"feedback": "x"}).status_code == 400
    token = csrf_token(mine, f"/assess/{vid}")
    saved = mine.post(f"/assess/{vid}/notes", data={"csrf_token": token, "level_COM_3": "2",
                                                    "comment_COM_3": "Paraphrases well, line 4.",
                                                    "feedback": "Draft feedback I typed."})
    assert saved.status_code == 200 and saved.json["claim_active"] is True
    page = mine.get(f"/assess/{vid}").get_data(as_text=True)
    assert "Paraphrases well, line 4." in page and "Draft feedback I typed." in page
    assert re.search(r'id="level-COM_3-2" name="level_COM_3" value="2"\s+checked', page)

    # A refused decision (a level missing) is kept by the server too.
    refused = assessor_decides(mine, vid, {"COM.3": 2, "COM.4": 3}, "accepted", feedback="Changed my feedback.",
                               claim=False)
    assert refused.status_code == 400
    with app.app_context():
        note = json.loads(db.session.get(MarkingNote, (vid, db.session.execute(
            db.select(User.id).where(User.email == "me@example.org")).scalar_one())).fields_json)
        assert note["feedback"] == "Changed my feedback." and note["level_COM_4"] == "3"

    # The claim runs out and someone else takes the submission: read only with a message, not a 404.
    with app.app_context():
        db.session.get(EvidenceVersion, vid).claim_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    other.post(f"/assess/{vid}/claim", data={"csrf_token": csrf_token(other, "/assess")})
    page = mine.get(f"/assess/{vid}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Read only." in text and "Yu You is assessing this submission now" in text
    assert "Changed my feedback." in text and 'name="submit"' not in text
    assert "Changed my feedback." not in other.get(f"/assess/{vid}").get_data(as_text=True)  # notes stay theirs
    # Posting the old page now is refused, and what was posted is kept.
    late = assessor_decides(mine, vid, levels(2, 2, 2), "accepted", feedback="Final words.", claim=False)
    assert late.status_code == 302
    assert "Final words." in mine.get(late.location).get_data(as_text=True)


def test_an_assessor_extends_their_claim_from_the_page(app, make_user, assessor_client):
    learner = learner_client(app, make_user)
    save_evidence(learner, LISTENING, submit=True)
    vid = version_id_of(app)
    assessor_client.post(f"/assess/{vid}/claim", data={"csrf_token": csrf_token(assessor_client, "/assess")})
    with app.app_context():
        db.session.get(EvidenceVersion, vid).claim_expires_at = utcnow() + timedelta(minutes=2)
        db.session.commit()
    page = assessor_client.get(f"/assess/{vid}").get_data(as_text=True)
    assert "minutes longer" in page
    response = assessor_client.post(f"/assess/{vid}/claim", data={"csrf_token": csrf_token(assessor_client, f"/assess/{vid}"),
                                                                  "extend": "1"}, follow_redirects=True)
    assert "stays reserved for you" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(EvidenceVersion, vid).claim_expires_at > utcnow() + timedelta(minutes=25)


def count_statements(app, fn):
    """The statements ``fn`` sends, with nothing kept from earlier requests."""
    with nothing_kept(app):
        return statements_sent(app, fn)


def test_the_queue_uses_the_same_few_statements_and_pages_by_keyset_whatever_its_size(app, make_user):
    assessor = signed_in(app, make_user, "a@example.org", "Ann", ("assessor", "lead_assessor"))
    with app.app_context():
        slugs = [u.slug for u in catalogue().task_units]

    def submit_many(n, start):
        with app.test_request_context():
            for i in range(start, start + n):
                learner = accounts.create_user(f"l{i}@example.org", f"Learner {i}", PASSWORD)
                evidence.save_draft(learner, slugs[i % len(slugs)], evidence.DraftInput(REFLECTION, "", 0),
                                    submit=True)

    submit_many(3, 0)
    assessor.get("/assess")  # warm up (sign-in session, content)
    small = count_statements(app, lambda: assessor.get("/assess"))
    submit_many(30, 3)
    big = count_statements(app, lambda: assessor.get("/assess"))
    assert len(small) == len(big) <= 8
    first_page = assessor.get("/assess").get_data(as_text=True)
    assert "33 submissions waiting" in first_page and first_page.count("button small") == 25
    next_link = first_page.split('href="/assess?after=', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    pages = {}
    paged = count_statements(app, lambda: pages.setdefault("second", assessor.get(f"/assess?after={next_link}")))
    # Keyset: the second page starts after the last row seen (no rows skipped with OFFSET).
    assert len(paged) == len(small) and any("marking_cases.submitted_at >" in s for s in paged)
    second_page = pages["second"].get_data(as_text=True)
    assert second_page.count("button small") == 8 and "Next page" not in second_page
    assert "Learner 32" not in second_page  # blind


def test_the_learner_sees_being_marked_while_an_assessor_holds_it(app, make_user, assessor_client):
    learner = learner_client(app, make_user)
    save_evidence(learner, LISTENING, submit=True)
    vid = version_id_of(app)
    assert 'aria-current="step" class="current">Waiting for an assessor' in evidence_page(learner, LISTENING)
    assessor_client.post(f"/assess/{vid}/claim", data={"csrf_token": csrf_token(assessor_client, "/assess")})
    page = evidence_page(learner, LISTENING)
    assert 'aria-current="step" class="current">Being marked' in page and "Asha" not in page


def test_a_lead_gets_the_files_under_the_code_when_moderating_and_reviewing(app, make_user):
    learner = learner_client(app, make_user)
    save_evidence(learner, LISTENING, files=[("Zanele-notes.pdf", PDF)], submit=True)
    vid = version_id_of(app)
    first = signed_in(app, make_user, "new@example.org", "Nia New", "assessor")
    second = signed_in(app, make_user, "cal@example.org", "Cal Ibrated", ("assessor", "lead_assessor"))
    lead = signed_in(app, make_user, "lead@example.org", "Lee Lead", "lead_assessor")
    assessor_decides(first, vid, levels(3, 3, 3), "accepted")
    assessor_decides(second, vid, levels(1, 1, 1), "not_yet", feedback="Needs an example.")
    page = lead.get(f"/assess/moderation/{vid}").get_data(as_text=True)
    file_id = page.split('href="/assess/files/', 1)[1].split('"', 1)[0]
    code = case_of(app, vid).code
    with lead.get(f"/assess/files/{file_id}") as download:
        assert download.status_code == 200 and download.data == PDF
        assert f"{code}-1.pdf" in download.headers["Content-Disposition"] and "Zanele" not in download.headers["Content-Disposition"]
    # Moderated: the file is no longer the lead's to see, until the learner asks for a review.
    token = csrf_token(lead, f"/assess/moderation/{vid}")
    lead.post(f"/assess/moderation/{vid}", data={"csrf_token": token, "outcome": "not_yet", "reason": "Agree: no example.",
                                                "feedback": "", "level_COM_3": "1", "level_COM_4": "1", "level_COM_7": "1"})
    other_lead = signed_in(app, make_user, "lead2@example.org", "Lou Lead", "lead_assessor")
    assert other_lead.get(f"/assess/files/{file_id}").status_code == 404
    token = csrf_token(learner, f"/units/{LISTENING}/evidence")
    learner.post(f"/assess/review-request/{vid}", data={"csrf_token": token, "reason": "The example is in my notes."})
    with other_lead.get(f"/assess/files/{file_id}") as download:
        assert download.status_code == 200 and f"{code}-1.pdf" in download.headers["Content-Disposition"]
    assert lead.get(f"/assess/files/{file_id}").status_code == 404  # the moderator does not review their own decision


def accepted_then_reviewed(app, make_user, assessor_client, reason):
    """Evidence accepted by one assessor, then a review asked for by the learner: (learner, lead, version, review)."""
    learner = learner_client(app, make_user)
    save_evidence(learner, LISTENING, submit=True)
    vid = version_id_of(app)
    lead = signed_in(app, make_user, "lead@example.org", "Lee Lead", "lead_assessor")
    assessor_decides(assessor_client, vid, levels(2, 2, 2), "accepted", feedback="Fine.")
    token = csrf_token(learner, f"/units/{LISTENING}/evidence")
    learner.post(f"/assess/review-request/{vid}", data={"csrf_token": token, "reason": reason})
    with app.app_context():
        review_id = db.session.execute(db.select(ReviewRequest.id)).scalar_one()
    return learner, lead, vid, review_id


def test_a_review_that_changes_an_accepted_decision_reopens_the_evidence(app, make_user, assessor_client):
    learner, lead, vid, review_id = accepted_then_reviewed(app, make_user, assessor_client, "COM.7 deserves more.")
    token = csrf_token(lead, f"/assess/reviews/{review_id}")
    done = lead.post(f"/assess/reviews/{review_id}", data={"csrf_token": token, "result": "changed",
                                                           "response": "Revise to show COM.7 at a higher level."})
    assert done.status_code == 302
    with app.app_context():
        statuses = db.session.execute(db.select(EvidenceVersion.number, EvidenceVersion.status)
                                      .order_by(EvidenceVersion.number)).all()
        assert [tuple(s) for s in statuses] == [(1, "accepted"), (2, "draft")]  # version 1 keeps its decision
        review = db.session.get(ReviewRequest, review_id)
        assert review.status == "changed"
    page = evidence_page(learner, LISTENING)
    assert "Reopened for revision" in page and "Revise to show COM.7" in page


def test_the_queue_filters_by_cohort_and_keeps_the_filter_across_pages(app, make_user):
    from datetime import date

    from lms.cohorts import services as cohorts

    assessor = signed_in(app, make_user, "a@example.org", "Ann", ("assessor", "lead_assessor"))
    with app.test_request_context():
        north = cohorts.create_cohort(None, "North 2026", date(2026, 1, 5), date(2099, 12, 18))
        south = cohorts.create_cohort(None, "South 2026", date(2026, 1, 5), date(2099, 12, 18))
        slugs = [u.slug for u in catalogue().task_units]
        for i in range(5):
            learner = accounts.create_user(f"n{i}@example.org", f"North {i}", PASSWORD)
            cohorts.enrol(None, learner, north)
            evidence.save_draft(learner, slugs[i], evidence.DraftInput(REFLECTION, "", 0), submit=True)
        for i in range(2):
            learner = accounts.create_user(f"s{i}@example.org", f"South {i}", PASSWORD)
            cohorts.enrol(None, learner, south)
            evidence.save_draft(learner, slugs[i], evidence.DraftInput(REFLECTION, "", 0), submit=True)
        north_id, south_id = north.id, south.id
    app.config["QUEUE_PAGE_SIZE"] = 3

    everyone = assessor.get("/assess").get_data(as_text=True)
    assert "7 submissions waiting" in everyone and "South 2026</option>" in everyone
    south_page = assessor.get(f"/assess?cohort={south_id}").get_data(as_text=True)
    assert "2 submissions waiting" in south_page and f'value="{south_id}" selected' in south_page
    north_page = assessor.get(f"/assess?cohort={north_id}").get_data(as_text=True)
    assert "5 submissions waiting" in north_page and north_page.count("button small") == 3
    next_link = north_page.split('href="/assess?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert f"cohort={north_id}" in next_link
    second = assessor.get(f"/assess?{next_link}").get_data(as_text=True)
    assert second.count("button small") == 2 and "5 submissions waiting" in second
    # An unknown cohort is no filter, not an error.
    assert "7 submissions waiting" in assessor.get("/assess?cohort=999").get_data(as_text=True)


def notifications_of(app, email):
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.email == email)).scalar_one()
        return [n.message for n in db.session.execute(db.select(Notification).where(Notification.user_id == user.id)
                                                      ).scalars()]


def test_the_calibrated_assessors_who_may_give_a_second_mark_are_told_by_code(app, make_user):
    from datetime import date

    from lms.cohorts import services as cohorts

    learner = learner_client(app, make_user)
    save_evidence(learner, LISTENING, submit=True)
    vid = version_id_of(app)
    first = signed_in(app, make_user, "new@example.org", "Nia New", "assessor")  # not calibrated
    make_user("other@example.org", "Oli Other", "assessor")                      # not calibrated either
    make_user("lead@example.org", "Lee Lead", ("assessor", "lead_assessor"))
    make_user("far@example.org", "Fay Far", ("assessor", "lead_assessor"))
    assessor_decides(first, vid, levels(2, 2, 2), "accepted", feedback="Clear.")
    code = case_of(app, vid).code
    wanted = f"Submission {code} needs a second, independent mark."
    assert wanted in notifications_of(app, "lead@example.org") and wanted in notifications_of(app, "far@example.org")
    assert notifications_of(app, "other@example.org") == [] and notifications_of(app, "new@example.org") == []
    assert not any("Zanele" in m for m in notifications_of(app, "lead@example.org"))

    # With a cohort that has assessors, only its calibrated assessors are told.
    with app.test_request_context():
        cohort = cohorts.create_cohort(None, "East 2026", date(2026, 1, 5), date(2099, 12, 18))
        zanele = db.session.execute(db.select(User).where(User.email == LEARNER_EMAIL)).scalar_one()
        cohorts.enrol(None, zanele, cohort)
        for email in ("lead@example.org", "new@example.org"):
            person = db.session.execute(db.select(User).where(User.email == email)).scalar_one()
            cohorts.assign_assessor(None, cohort.id, person.id)
        db.session.commit()
    save_evidence(learner, "clear-communication", submit=True)
    with app.app_context():
        vid2 = db.session.execute(db.select(EvidenceVersion.id).order_by(EvidenceVersion.id.desc())).scalars().first()
    with app.app_context():
        ids = catalogue().unit("clear-communication").task.indicator_ids
    assessor_decides(first, vid2, {i: 2 for i in ids}, "accepted", feedback="Clear.")
    wanted = f"Submission {case_of(app, vid2).code} needs a second, independent mark."
    assert wanted in notifications_of(app, "lead@example.org")
    assert wanted not in notifications_of(app, "far@example.org")


def test_feedback_over_its_stated_limit_is_refused_with_a_message_and_kept_whole(app, make_user):
    learner = learner_client(app, make_user)
    save_evidence(learner, LISTENING, submit=True)
    vid = version_id_of(app)
    mine = signed_in(app, make_user, "me@example.org", "Mo Me", ("assessor", "lead_assessor"))
    mine.post(f"/assess/{vid}/claim", data={"csrf_token": csrf_token(mine, "/assess")})
    page = mine.get(f"/assess/{vid}").get_data(as_text=True)
    assert "Up to 10,000 characters." in page and "Up to 4,000 characters." in page  # stated beside the fields

    long_feedback = "Name the pupil's words before your own. " * 300  # 12,000 characters
    refused = assessor_decides(mine, vid, levels(2, 2, 2), "accepted", feedback=long_feedback, claim=False)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Overall feedback can be at most 10,000 characters. Shorten it: your text is kept here." in text
    assert long_feedback.strip() in text.replace("&#39;", "'")  # the whole text is back in the field
    assert case_of(app, vid).stage != "final"

    # Autosave keeps it whole too, so coming back later shows every character.
    token = csrf_token(mine, f"/assess/{vid}")
    assert mine.post(f"/assess/{vid}/notes", data={"csrf_token": token, "feedback": long_feedback}).status_code == 200
    assert long_feedback.strip() in mine.get(f"/assess/{vid}").get_data(as_text=True).replace("&#39;", "'")


def test_a_review_response_over_its_stated_limit_is_refused_with_the_text_kept(app, make_user, assessor_client):
    learner, lead, vid, review_id = accepted_then_reviewed(app, make_user, assessor_client, "Please look again.")
    page = lead.get(f"/assess/reviews/{review_id}").get_data(as_text=True)
    assert "up to 4,000 characters" in page
    assert "maxlength" not in page.split('id="response"')[1].split(">")[0]  # no silent cut on paste
    long_text = "Upheld after a second reading. " * 140  # about 4,300 characters
    refused = lead.post(f"/assess/reviews/{review_id}", data={
        "csrf_token": csrf_token(lead, f"/assess/reviews/{review_id}"), "result": "upheld", "response": long_text})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "can be up to 4,000 characters" in body
    assert long_text.strip()[-200:] in body  # kept whole
    with app.app_context():
        assert db.session.get(ReviewRequest, review_id).status == "open"
