"""The assessor's workflow end to end, and the learner's view of decisions."""

from __future__ import annotations

import json
from datetime import timedelta

from lms.assessment.models import Assessment, MarkingCase
from lms.domain.working_days import WorkingCalendar
from lms.evidence.models import EvidenceVersion
from lms.extensions import db
from lms.models import AuditEvent, utcnow

from .conftest import csrf_token, login, signed_in
from .evidence_helpers import PDF, REFLECTION, assessor_decides, evidence_page, save_evidence

LISTENING = "active-listening-and-rapport"     # task indicators COM.3, COM.4, COM.7 (domain PR)
ROLES = "roles-of-a-mentor"                    # task indicators SDS.2, SDS.3, SDS.4 (domain PI)
PROFICIENT = {"COM.3": 2, "COM.4": 2, "COM.7": 2}


def versions(app):
    with app.app_context():
        return {(v.submission.unit_slug, v.number): (v.id, v.status)
                for v in db.session.execute(db.select(EvidenceVersion)).scalars()}


def submitted_version_id(app, slug, number=1):
    return versions(app)[(slug, number)][0]


def test_the_queue_lists_oldest_first_by_code_with_working_days_overdue_and_filters(app, learner, assessor_client):
    save_evidence(learner, LISTENING, submit=True)
    save_evidence(learner, ROLES, submit=True)
    then = utcnow() - timedelta(days=12)
    with app.app_context():  # the listening evidence has waited longer: well past the 5-working-day target
        version_id = submitted_version_id(app, LISTENING)
        db.session.get(EvidenceVersion, version_id).submitted_at = then
        db.session.get(MarkingCase, version_id).submitted_at = then
        code = db.session.get(MarkingCase, version_id).code
        db.session.commit()
    page = assessor_client.get("/assess").get_data(as_text=True)
    assert page.index("Active listening and building rapport") < page.index("The many roles of a mentor")
    age = WorkingCalendar("Indian/Mauritius").working_days_between(then, utcnow())
    assert age >= 8 and f"{age} working days" in page and page.count("overdue</strong>") == 1
    assert code in page and "Test Teacher" not in page and "teacher@example.org" not in page
    assert "2 submissions waiting" in page
    only_pi = assessor_client.get("/assess?domain=PI").get_data(as_text=True)
    assert "The many roles of a mentor" in only_pi and "Active listening" not in only_pi
    assert "1 submission waiting" in only_pi
    only_com = assessor_client.get("/assess?competency=COM").get_data(as_text=True)
    assert "Active listening" in only_com and "roles of a mentor" not in only_com


def test_drafts_are_not_in_the_queue(learner, assessor_client):
    save_evidence(learner, LISTENING)
    assert "0 submissions waiting" in assessor_client.get("/assess").get_data(as_text=True)


def test_accepting_evidence_end_to_end(app, learner, assessor_client):
    save_evidence(learner, LISTENING, files=[("observation.pdf", PDF)], submit=True)
    version_id = submitted_version_id(app, LISTENING)
    assessor_client.post(f"/assess/{version_id}/claim", data={"csrf_token": csrf_token(assessor_client, "/assess")})
    page = assessor_client.get(f"/assess/{version_id}").get_data(as_text=True)
    with app.app_context():
        code = db.session.get(MarkingCase, version_id).code
    # Blind: the evidence and its file are shown under the submission code, not the learner's file name.
    assert "I met my student educator" in page and f"{code}-1.pdf" in page and "observation.pdf" not in page
    assert page.count('type="radio"') == 3 * 4 + 2  # four levels for each of three indicators, two outcomes
    assert "Reserved for you until" in page
    # The assessor can download the evidence file while assessing it, named by the code.
    file_link = page.split('href="/assess/files/', 1)[1].split('"', 1)[0]
    with assessor_client.get(f"/assess/files/{file_link}") as download:
        assert download.status_code == 200 and download.data == PDF
        assert f"{code}-1.pdf" in download.headers["Content-Disposition"]
        assert "observation" not in download.headers["Content-Disposition"]
    assert assessor_client.get(f"/evidence/files/{file_link}").status_code == 404  # the learner's own route

    response = assessor_decides(assessor_client, version_id, PROFICIENT, "accepted", feedback="Clear and specific.",
                                comments={"COM.4": "Good use of paraphrase."}, claim=False)
    assert response.status_code == 302
    assert "The decision is final and the learner has been told" in assessor_client.get("/assess").get_data(as_text=True)

    learner_page = evidence_page(learner, LISTENING)
    assert "Accepted" in learner_page and "Good use of paraphrase." in learner_page
    assert "Proficient" in learner_page and "Clear and specific." in learner_page
    notifications = learner.get("/notifications").get_data(as_text=True)
    assert "was accepted" in notifications
    assert 'class="count">1' in learner.get("/dashboard").get_data(as_text=True)
    profile = learner.get("/profile").get_data(as_text=True)
    assert "cell-2" in profile and "Communication: <strong>in progress</strong>" in profile

    with app.app_context():
        event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "assessment.decided")).scalar_one()
        assert event.actor.email == "assessor@example.org"
        assert json.loads(event.details)["levels"] == PROFICIENT


def test_not_yet_then_revise_and_resubmit_keeps_the_history(app, learner, assessor_client):
    save_evidence(learner, LISTENING, reflection=REFLECTION + " First attempt.", submit=True)
    first_id = submitted_version_id(app, LISTENING)
    assessor_decides(assessor_client, first_id, {"COM.3": 1, "COM.4": 1, "COM.7": 0}, "not_yet",
                     feedback="Add an example of how you built rapport.")
    page = evidence_page(learner, LISTENING)
    assert "Returned “not yet”" in page and "Add an example of how you built rapport." in page
    assert "Not yet evident" in page

    learner.post(f"/units/{LISTENING}/evidence/revise",
                 data={"csrf_token": csrf_token(learner, f"/units/{LISTENING}/evidence")})
    page = evidence_page(learner, LISTENING)
    assert "Your revision (version 2)" in page and "First attempt." in page  # starts from version 1
    save_evidence(learner, LISTENING, reflection=REFLECTION + " Second attempt, with the rapport example.",
                  submit=True)
    assert versions(app)[(LISTENING, 1)][1] == "not_yet"
    assert versions(app)[(LISTENING, 2)][1] == "submitted"

    second_id = submitted_version_id(app, LISTENING, 2)
    assessor_page = (assessor_client.post(f"/assess/{second_id}/claim",
                                          data={"csrf_token": csrf_token(assessor_client, "/assess")}),
                     assessor_client.get(f"/assess/{second_id}").get_data(as_text=True))[1]
    assert "Earlier versions and their feedback" in assessor_page
    assert "Add an example of how you built rapport." in assessor_page
    assessor_decides(assessor_client, second_id, PROFICIENT, "accepted", claim=False)
    history = evidence_page(learner, LISTENING)
    assert "Version 1" in history and "Version 2" in history and "First attempt." in history


def test_a_second_decision_is_refused_not_applied(app, learner, assessor_client, make_user):
    save_evidence(learner, LISTENING, submit=True)
    version_id = submitted_version_id(app, LISTENING)
    assessor_decides(assessor_client, version_id, PROFICIENT, "accepted")
    # The same assessor's stale page posts again, with a different decision.
    response = assessor_decides(assessor_client, version_id, {"COM.3": 0, "COM.4": 0, "COM.7": 0}, "not_yet",
                                feedback="Changed my mind", claim=False)
    assert response.status_code == 302
    page = assessor_client.get(response.location).get_data(as_text=True)
    assert "already decided: accepted by Asha Assessor" in page and "was not applied" in page
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Assessment)).scalar_one() == 1
        assert db.session.execute(db.select(Assessment.outcome)).scalar_one() == "accepted"


def test_a_claim_keeps_other_assessors_out_until_it_expires(app, learner, assessor_client, make_user):
    save_evidence(learner, LISTENING, submit=True)
    version_id = submitted_version_id(app, LISTENING)
    assessor_client.post(f"/assess/{version_id}/claim", data={"csrf_token": csrf_token(assessor_client, "/assess")})
    assert "In review" in learner.get("/evidence").get_data(as_text=True)

    make_user("second@example.org", "Sam Second", ("assessor", "lead_assessor"))
    second = app.test_client()
    login(second, "second@example.org")
    assert "Being assessed by Asha Assessor" in second.get("/assess").get_data(as_text=True)
    assert second.get(f"/assess/{version_id}").status_code == 404
    response = second.post(f"/assess/{version_id}/claim", data={"csrf_token": csrf_token(second, "/assess")},
                           follow_redirects=True)
    assert "Another assessor has just opened this submission" in response.get_data(as_text=True)

    with app.app_context():  # the first assessor went home: the claim runs out
        db.session.get(EvidenceVersion, version_id).claim_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert second.get(f"/assess/{version_id}").status_code == 200
    assert assessor_decides(second, version_id, PROFICIENT, "accepted").status_code == 302
    with app.app_context():
        assert db.session.execute(db.select(Assessment.assessor_id)).scalar_one() is not None


def test_decisions_are_validated(app, learner, assessor_client):
    save_evidence(learner, LISTENING, submit=True)
    version_id = submitted_version_id(app, LISTENING)
    missing = assessor_decides(assessor_client, version_id, {"COM.3": 2, "COM.4": 2}, "accepted")
    assert missing.status_code == 400 and "Choose a level for COM.7" in missing.get_data(as_text=True)
    zero = assessor_decides(assessor_client, version_id, {"COM.3": 2, "COM.4": 2, "COM.7": 0}, "accepted",
                            claim=False)
    assert "COM.7 is at “Not yet evident” and needs at least “Proficient”" in zero.get_data(as_text=True)
    silent = assessor_decides(assessor_client, version_id, PROFICIENT, "not_yet", claim=False)
    assert "Write overall feedback" in silent.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(Assessment)).first() is None


def test_who_may_see_what(app, learner, assessor_client, make_user):
    save_evidence(learner, LISTENING, submit=True)
    version_id = submitted_version_id(app, LISTENING)
    assert learner.get("/assess").status_code == 403
    assert learner.get(f"/assess/{version_id}").status_code == 403
    assessor_decides(assessor_client, version_id, PROFICIENT, "accepted")
    # Decided: out of the queue; the assessor who marked it sees their own mark, read only.
    own = assessor_client.get(f"/assess/{version_id}").get_data(as_text=True)
    assert "You have marked this version" in own and 'name="submit"' not in own
    other = signed_in(app, make_user, "other@example.org", "Olu Other", "assessor")
    assert other.get(f"/assess/{version_id}").status_code == 404
    assert assessor_client.get("/assess/999999").status_code == 404


def test_assessors_do_not_assess_their_own_evidence(app, assessor_client):
    save_evidence(assessor_client, LISTENING, submit=True)
    version_id = submitted_version_id(app, LISTENING)
    assert "0 submissions waiting" in assessor_client.get("/assess").get_data(as_text=True)
    assert assessor_client.get(f"/assess/{version_id}").status_code == 404


def test_reflections_are_safe_on_the_assessors_page(app, learner, assessor_client):
    save_evidence(learner, LISTENING, reflection=REFLECTION + '\n\n<img src=x onerror=alert(1)> [x](javascript:alert(2))',
                  submit=True)
    version_id = submitted_version_id(app, LISTENING)
    assessor_client.post(f"/assess/{version_id}/claim", data={"csrf_token": csrf_token(assessor_client, "/assess")})
    page = assessor_client.get(f"/assess/{version_id}").get_data(as_text=True).lower()
    assert "onerror" not in page and "javascript:alert" not in page


def test_the_admin_reads_decisions_in_the_audit_trail(app, learner, assessor_client, admin_client):
    save_evidence(learner, LISTENING, submit=True)
    assessor_decides(assessor_client, submitted_version_id(app, LISTENING), PROFICIENT, "accepted")
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "Asha Assessor accepted Test Teacher&#39;s evidence for “Active listening and building rapport”" in page
