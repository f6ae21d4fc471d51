"""The learner's record: "accepted" leaves no dead end, reopening, task texts, the profile from final decisions."""

from __future__ import annotations

from lms.assessment.models import Assessment
from lms.evidence.models import EvidenceVersion
from lms.extensions import db
from lms.record.models import RecordEntry

from .conftest import csrf_token
from .evidence_helpers import assessor_decides, save_evidence

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
    assert 'id="level-COM_7-1" name="level_COM_7" value="1"\n                       checked' in page
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
