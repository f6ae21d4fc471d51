"""The learner's record: "accepted" leaves no dead end, reopening, task texts, the profile from final decisions."""

from __future__ import annotations

import re

import json
from dataclasses import replace

import pytest

from lms.assessment import services as assessment
from lms.assessment.models import Assessment, IndicatorScore, ReviewRequest
from lms.auth import services as accounts
from lms.badges.models import BadgeAssertion
from lms.content_store import catalogue
from lms.evidence import services as evidence
from lms.evidence.models import EvidenceVersion, Reopening, Submission
from lms.extensions import db
from lms.models import AuditEvent, User, utcnow
from lms.record.models import RecordEntry
from lms.record.services import learner_profile

from .conftest import PASSWORD, csrf_token
from .evidence_helpers import REFLECTION, assessor_decides, save_evidence

LISTENING = "active-listening-and-rapport"     # task indicators COM.3, COM.4, COM.7


def only_version(app, slug):
    with app.app_context():
        version = db.session.execute(db.select(EvidenceVersion)).scalars().one()
        return version.id, version.status


def test_accepting_with_one_indicator_at_emerging_is_refused_naming_it(app, learner, assessor_client):
    save_evidence(learner, LISTENING, submit=True)
    version_id, _ = only_version(app, LISTENING)
    assessor_client.post(f"/assess/{version_id}/claim", data={"csrf_token": csrf_token(assessor_client, "/assess")})
    form = assessor_client.get(f"/assess/{version_id}").get_data(as_text=True)
    assert form.count("To accept, this indicator must be at least <strong>Proficient</strong>") == 3
    assert "Accepted: every indicator reaches the level its competency requires" in form

    refused = assessor_decides(assessor_client, version_id, {"COM.3": 2, "COM.4": 3, "COM.7": 1}, "accepted",
                               feedback="Warm and specific about listening.", claim=False)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "COM.7 is at “Emerging” and needs at least “Proficient”" in page
    assert "COM.3 is at" not in page and "COM.4 is at" not in page
    # Nothing the assessor entered is lost: the levels and feedback are back on the page.
    assert "Warm and specific about listening." in page
    assert re.search(r'id="level-COM_7-1" name="level_COM_7" value="1"\s+checked', page)
    with app.app_context():
        assert db.session.execute(db.select(Assessment)).first() is None
        assert db.session.execute(db.select(RecordEntry)).first() is None
    assert only_version(app, LISTENING)[1] == "submitted"

    # Returned "not yet" instead, the learner can revise: no dead end.
    returned = assessor_decides(assessor_client, version_id, {"COM.3": 2, "COM.4": 3, "COM.7": 1}, "not_yet",
                                feedback="Show how you built rapport.", claim=False)
    assert returned.status_code == 302
    assert "Revise and resubmit" in learner.get(f"/units/{LISTENING}/evidence").get_data(as_text=True)


def test_the_profile_is_read_from_the_final_decisions_in_the_record(app, learner, assessor_client):
    save_evidence(learner, LISTENING, submit=True)
    version_id, _ = only_version(app, LISTENING)
    assessor_decides(assessor_client, version_id, {"COM.3": 2, "COM.4": 3, "COM.7": 2}, "accepted")
    with app.app_context():
        entries = {(e.indicator_id, e.level, e.outcome)
                   for e in db.session.execute(db.select(RecordEntry)).scalars()}
    assert entries == {("COM.3", 2, "accepted"), ("COM.4", 3, "accepted"), ("COM.7", 2, "accepted")}
    profile = learner.get("/profile").get_data(as_text=True)
    assert "cell-3" in profile and "Communication: <strong>in progress</strong>" in profile


# --- reopening ------------------------------------------------------------------------------------------

PD_UNITS = ("empathy-and-respect", "agency-and-wellbeing", "dispositions-journal")  # DSP.1, DSP.2, DSP.3
CONFLICT = "conflict-and-problem-solving"   # COL.5, PRS.1, PRS.2: one task, two competencies


def version_of(app, slug, number=None):
    with app.app_context():
        rows = db.session.execute(db.select(EvidenceVersion).join(Submission)
                                  .where(Submission.unit_slug == slug).order_by(EvidenceVersion.number)).scalars().all()
        version = rows[-1] if number is None else rows[number - 1]
        return version.id


def decide_through_services(app, slug, levels, outcome="accepted", feedback="", learner_email="teacher@example.org"):
    """The learner submits (or resubmits) evidence and an assessor decides it, through the services."""
    with app.test_request_context():
        learner = db.session.execute(db.select(User).where(User.email == learner_email)).scalar_one()
        assessor = db.session.execute(db.select(User).where(User.email == "marker@example.org")).scalar_one_or_none()
        if assessor is None:
            # Calibrated (a lead assessor), so that one mark is final.
            assessor = accounts.create_user("marker@example.org", "Mo Marker", PASSWORD, ("assessor", "lead_assessor"))
        submission = evidence.submission_for(learner, slug)
        expected = submission.latest.revision if submission and submission.latest.status == "draft" else 0
        version = evidence.save_draft(learner, slug, evidence.DraftInput(REFLECTION, "", expected), submit=True).version
        assessment.decide(assessor, assessment.Decision(
            version.id, outcome, feedback,
            tuple(assessment.IndicatorJudgement(i, levels.get(i, 2)) for i in catalogue().unit(slug).task.indicator_ids)))
        return version.id


def accept_as_before_the_fix(app, slug, levels, learner_email="teacher@example.org"):
    """Evidence accepted by the old code, which let an indicator below its rule through (written as it did)."""
    with app.test_request_context():
        learner = db.session.execute(db.select(User).where(User.email == learner_email)).scalar_one()
        version = evidence.save_draft(learner, slug, evidence.DraftInput(REFLECTION, "", 0), submit=True).version
        when = utcnow()
        version.status = "accepted"
        assessment_row = Assessment(version_id=version.id, outcome="accepted", feedback="", decided_at=when)
        assessment_row.scores = [IndicatorScore(indicator_id=i, level=level) for i, level in levels.items()]
        db.session.add(assessment_row)
        db.session.add_all(RecordEntry(learner_id=learner.id, version_id=version.id, indicator_id=i, level=level,
                                       outcome="accepted", decided_at=when) for i, level in levels.items())
        db.session.commit()
        return version.id


def badges_held(app):
    with app.app_context():
        return {a.badge_class_id: a.revoked_at for a in db.session.execute(db.select(BadgeAssertion)).scalars()}


def test_a_learner_caught_before_the_fix_is_reopened_and_earns_the_competency(app, learner):
    decide_through_services(app, PD_UNITS[0], {"DSP.1": 2})
    stuck_id = accept_as_before_the_fix(app, PD_UNITS[1], {"DSP.2": 1})   # Emerging, accepted: a dead end
    decide_through_services(app, PD_UNITS[2], {"DSP.3": 3})
    assert badges_held(app) == {}
    assert "Accepted" in learner.get(f"/units/{PD_UNITS[1]}/evidence").get_data(as_text=True)
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["evidence", "reopen-stuck", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would reopen: teacher@example.org {PD_UNITS[1]} version 1: DSP.2 at Emerging (needs Proficient)" \
        in dry.output
    assert "1 accepted version would be reopened." in dry.output
    assert version_of(app, PD_UNITS[1]) == stuck_id  # nothing changed

    done = runner.invoke(args=["evidence", "reopen-stuck"])
    assert done.exit_code == 0 and "1 accepted version reopened." in done.output, done.output
    assert "0 accepted versions reopened." in runner.invoke(args=["evidence", "reopen-stuck"]).output
    assert "was reopened so that you can revise it" in learner.get("/notifications").get_data(as_text=True)
    page = learner.get(f"/units/{PD_UNITS[1]}/evidence").get_data(as_text=True)
    assert "Your revision (version 2)" in page and "Reopened for revision" in page
    assert "DSP.2 (Emerging, needs Proficient)" in page
    with app.app_context():
        event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "evidence.reopened")).scalar_one()
        assert event.actor_id is None and json.loads(event.details)["version"] == 1

    decide_through_services(app, PD_UNITS[1], {"DSP.2": 2})  # the revision, now at the level the rule needs
    assert set(badges_held(app)) == {"DSP", "PD"}
    profile = learner.get("/profile").get_data(as_text=True)
    assert "Professional Dispositions" in profile and "achieved" in profile


def test_reopening_a_task_for_two_competencies_keeps_both_badges_and_levels_only_rise(app, learner, make_user):
    decide_through_services(app, "shared-goals", {})
    decide_through_services(app, "climate-of-trust", {})
    decide_through_services(app, CONFLICT, {"COL.5": 2, "PRS.1": 2, "PRS.2": 3})
    decide_through_services(app, "reviewing-your-problem-solving", {})
    assert badges_held(app) == {"COL": None, "PRS": None}
    make_user("lead@example.org", "Lee Lead", "admin")
    with app.test_request_context():
        lead = db.session.execute(db.select(User).where(User.email == "lead@example.org")).scalar_one()
        draft = evidence.reopen(version_of(app, CONFLICT), actor=lead, reason="Review upheld: add the mediation log.")
        db.session.commit()
        assert draft.number == 2 and draft.status == "draft" and draft.reflection == REFLECTION
        again = evidence.reopen(version_of(app, CONFLICT, 1), actor=lead, reason="Clicked twice.")
        assert again.id == draft.id  # the same draft, no second reopening
        assert db.session.execute(db.select(db.func.count()).select_from(Reopening)).scalar_one() == 1
    assert badges_held(app) == {"COL": None, "PRS": None}  # untouched, not revoked
    # A weaker new version ("not yet") takes nothing away; an accepted stronger one raises the level.
    decide_through_services(app, CONFLICT, {"COL.5": 0, "PRS.1": 1, "PRS.2": 1}, "not_yet", feedback="Add the log.")
    with app.test_request_context():
        learner_id = db.session.execute(db.select(User.id).where(User.email == "teacher@example.org")).scalar_one()
        profile = learner_profile(learner_id)
        assert profile.competency("COL").achieved and profile.competency("PRS").achieved
        levels = {r.indicator_id: r.level for r in profile.competency("PRS").indicators}
        assert levels["PRS.1"] == 2 and levels["PRS.2"] == 3
        evidence.start_revision(db.session.get(User, learner_id), CONFLICT)
    decide_through_services(app, CONFLICT, {"COL.5": 3, "PRS.1": 3, "PRS.2": 2})
    with app.test_request_context():
        levels = {r.indicator_id: r.level for r in learner_profile(learner_id).competency("PRS").indicators}
        assert levels["PRS.1"] == 3 and levels["PRS.2"] == 3  # raised where higher, kept where lower
    assert badges_held(app) == {"COL": None, "PRS": None}


def test_reopening_is_refused_for_open_or_older_versions_and_without_a_reason(app, learner):
    save_evidence(learner, LISTENING, submit=True)
    with app.test_request_context():
        waiting = version_of(app, LISTENING)
        with pytest.raises(evidence.EvidenceError, match="waiting for assessment"):
            evidence.reopen(waiting, actor=None, reason="Because.")
    with app.test_request_context():
        marker = accounts.create_user("marker@example.org", "Mo Marker", PASSWORD, ("assessor", "lead_assessor"))
        assessment.decide(marker, assessment.Decision(waiting, "accepted", "", tuple(
            assessment.IndicatorJudgement(i, 2) for i in ("COM.3", "COM.4", "COM.7"))))
    with app.test_request_context():
        accepted = version_of(app, LISTENING)
        with pytest.raises(evidence.EvidenceError, match="Give a reason"):
            evidence.reopen(accepted, actor=None, reason="  ")
        assert evidence.reopen(accepted, actor=None, reason="Renewal.").number == 2
        db.session.commit()
    assert versions_count(app) == 2


def versions_count(app):
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(EvidenceVersion)).scalar_one()


# --- task texts ---------------------------------------------------------------------------------------------

def test_each_version_shows_the_task_text_it_was_written_against(app, learner, assessor_client):
    save_evidence(learner, LISTENING, submit=True)
    first = version_of(app, LISTENING)
    assessor_decides(assessor_client, first, {"COM.3": 2, "COM.4": 1, "COM.7": 1}, "not_yet", feedback="More.")
    # The unit is rewritten while the learner revises.
    with app.app_context():
        cat = catalogue()
        unit = cat.unit(LISTENING)
        cat._by_slug[LISTENING] = replace(unit, task=replace(
            unit.task, instructions="Record a **new** listening conversation of twenty minutes.",
            instructions_html="<p>Record a <strong>new</strong> listening conversation of twenty minutes.</p>"))
    learner.post(f"/units/{LISTENING}/evidence/revise",
                 data={"csrf_token": csrf_token(learner, f"/units/{LISTENING}/evidence")})
    save_evidence(learner, LISTENING, submit=True)
    second = version_of(app, LISTENING)
    with app.app_context():
        v1, v2 = db.session.get(EvidenceVersion, first), db.session.get(EvidenceVersion, second)
        assert (v1.task_text.number, v2.task_text.number) == (1, 2)
        assert "Hold a 10 to 15 minute conversation" in v1.task_text.instructions
        assert "twenty minutes" in v2.task_text.instructions
    history = learner.get(f"/units/{LISTENING}/evidence").get_data(as_text=True)
    assert "Task version 1" in history and "Task version 2" in history
    assert history.count("The task has been rewritten since; this is the text this version answers.") == 1
    assert "(here: at least Proficient)" in history
    assert "Hold a 10 to 15 minute conversation" in history
    assessor_client.post(f"/assess/{second}/claim", data={"csrf_token": csrf_token(assessor_client, "/assess")})
    page = assessor_client.get(f"/assess/{second}").get_data(as_text=True)
    assert "Task version 2" in page and "twenty minutes" in page


def test_two_reopenings_at_once_give_one_draft(app, learner):
    from .test_concurrency import run_together
    decide_through_services(app, LISTENING, {})
    accepted = version_of(app, LISTENING)

    def reopen(reason):
        def job():
            draft = evidence.reopen(accepted, actor=None, reason=reason)
            db.session.commit()
            return draft.id
        return job

    results = run_together(app, [reopen("Review upheld."), reopen("Lead assessor's decision.")])
    assert len(set(results)) == 1 and all(isinstance(r, int) for r in results), results
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Reopening)).scalar_one() == 1
        assert versions_count(app) == 2


def ask_for_review(client, slug, version_id, reason="My plan and its review are in the second part."):
    token = csrf_token(client, f"/units/{slug}/evidence")
    client.post(f"/assess/review-request/{version_id}", data={"csrf_token": token, "reason": reason})
    with app_of(client).app_context():
        return db.session.execute(db.select(ReviewRequest.id).where(ReviewRequest.version_id == version_id)
                                  ).scalar_one()


def app_of(client):
    return client.application


def review_post(lead, review_id, result, response, levels=None, outcome=None):
    data = {"csrf_token": csrf_token(lead, f"/assess/reviews/{review_id}"), "result": result, "response": response}
    for indicator_id, level in (levels or {}).items():
        data[f"level_{indicator_id.replace('.', '_')}"] = str(level)
    if outcome:
        data["outcome"] = outcome
    return lead.post(f"/assess/reviews/{review_id}", data=data)


def test_a_review_turns_a_not_yet_into_an_acceptance_and_the_badge_it_completes_is_issued(app, learner, make_user):
    from .conftest import signed_in

    decide_through_services(app, PD_UNITS[0], {"DSP.1": 2})
    returned = decide_through_services(app, PD_UNITS[1], {"DSP.2": 1}, outcome="not_yet", feedback="Add a log.")
    decide_through_services(app, PD_UNITS[2], {"DSP.3": 3})
    assert badges_held(app) == {}
    review_id = ask_for_review(learner, PD_UNITS[1], returned)
    lead = signed_in(app, make_user, "lead@example.org", "Lee Lead", "lead_assessor")
    page = lead.get(f"/assess/reviews/{review_id}").get_data(as_text=True)
    assert "the levels and outcome it should have had" in page
    assert re.search(r'name="level_DSP_2" value="1"\s+checked', page), "the current level is pre-set"

    # Accepting with the indicator still below its rule is refused, naming it; what was typed stays.
    refused = review_post(lead, review_id, "changed", "The log is there after all.", {"DSP.2": 1}, "accepted")
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "DSP.2" in text and "The log is there after all." in text
    assert badges_held(app) == {}

    done = review_post(lead, review_id, "changed", "The log is in your second file: DSP.2 is Proficient.",
                       {"DSP.2": 2}, "accepted")
    assert done.status_code == 302
    assert set(badges_held(app)) == {"DSP", "PD"}
    with app.app_context():
        version = db.session.get(EvidenceVersion, returned)
        assert version.status == "accepted" and version.assessment.outcome == "accepted"
        assert [(s.indicator_id, s.level) for s in version.assessment.scores] == [("DSP.2", 2)]
        assert learner_profile(version.submission.learner_id).achieved is False  # one domain of four
        entry = db.session.execute(db.select(RecordEntry).where(RecordEntry.version_id == returned)).scalar_one()
        assert (entry.level, entry.outcome) == (2, "accepted")
        event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "assessment.review_decided")
                                   ).scalar_one()
        details = json.loads(event.details)
        assert details["outcome_before"] == "not_yet" and details["levels_before"] == {"DSP.2": 1}
    page = learner.get(f"/units/{PD_UNITS[1]}/evidence").get_data(as_text=True)
    assert "Accepted" in page and "DSP.2 is Proficient" in page
    assert "now accepted" in learner.get("/notifications").get_data(as_text=True)


def test_a_review_cannot_change_a_not_yet_once_a_newer_version_is_submitted(app, learner, make_user):
    from .conftest import signed_in

    returned = decide_through_services(app, PD_UNITS[1], {"DSP.2": 1}, outcome="not_yet", feedback="Add a log.")
    review_id = ask_for_review(learner, PD_UNITS[1], returned)
    with app.test_request_context():
        user = db.session.execute(db.select(User).where(User.email == "teacher@example.org")).scalar_one()
        draft = evidence.start_revision(user, PD_UNITS[1])
        evidence.save_draft(user, PD_UNITS[1], evidence.DraftInput(REFLECTION, "", draft.revision), submit=True)
    lead = signed_in(app, make_user, "lead@example.org", "Lee Lead", "lead_assessor")
    refused = review_post(lead, review_id, "changed", "Proficient after all.", {"DSP.2": 2}, "accepted")
    assert refused.status_code == 400
    assert "was submitted after this decision" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(EvidenceVersion, returned).status == "not_yet"
        assert db.session.get(ReviewRequest, review_id).status == "open"
