"""The task's completeness checklist: shown on the evidence form, ticked before submitting, seen by the assessor."""

from __future__ import annotations

import io
import re

from lms.content_store import catalogue
from lms.evidence.models import EvidenceVersion
from lms.extensions import db

from .conftest import csrf_token
from .evidence_helpers import REFLECTION, evidence_page, revision_of

SLUG = "empathy-and-respect"


def checklist(app) -> tuple[str, ...]:
    with app.app_context():
        return catalogue().unit(SLUG).task.checklist


def post_form(client, ticked, submit=False, reflection=REFLECTION):
    page = evidence_page(client, SLUG)
    data = {"csrf_token": csrf_token(client, f"/units/{SLUG}/evidence"), "reflection": reflection, "links": "",
            "revision": revision_of(page), "checklist_shown": "1", "checklist": list(ticked),
            "files": [(io.BytesIO(b""), "")]}
    data["submit_for_assessment" if submit else "save"] = "1"
    return client.post(f"/units/{SLUG}/evidence", data=data, content_type="multipart/form-data")


def checked_boxes(page: str) -> list[str]:
    return re.findall(r'name="checklist" value="([^"]+)" checked', page.replace("&#39;", "'"))


def test_the_form_shows_the_tasks_parts_and_an_unticked_checklist(app, learner):
    items = checklist(app)
    page = evidence_page(learner, SLUG)
    assert "Before you submit, check that you have" in page
    assert page.count('name="checklist"') == len(items) >= 3
    assert checked_boxes(page) == []
    assert "Evidences DSP.1" in page and "Write 400 to 600 words in the evidence form" in page


def test_ticks_are_saved_with_the_draft(app, learner):
    items = checklist(app)
    post_form(learner, items[:2])
    assert checked_boxes(evidence_page(learner, SLUG)) == list(items[:2])
    post_form(learner, items[1:2])  # unticking is saved too
    assert checked_boxes(evidence_page(learner, SLUG)) == [items[1]]


def test_submitting_with_an_unticked_item_is_refused_and_nothing_typed_is_lost(app, learner):
    items = checklist(app)
    text = REFLECTION + " Written just now and not saved before."
    response = post_form(learner, items[:-1], submit=True, reflection=text)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "1 not ticked yet" in page.replace("&#34;", '"') and "tick every item" in page
    assert checked_boxes(page) == list(items[:-1])
    with app.app_context():
        version = db.session.execute(db.select(EvidenceVersion)).scalar_one()
        assert version.status == "draft" and version.reflection == text
        assert [ticked for _, ticked in version.checklist] == [True] * (len(items) - 1) + [False]


def test_the_assessor_sees_the_ticks_with_the_version(app, learner, assessor_client):
    items = checklist(app)
    response = post_form(learner, items, submit=True)
    assert response.status_code == 302
    with app.app_context():
        version = db.session.execute(db.select(EvidenceVersion)).scalar_one()
        assert version.status == "submitted" and all(ticked for _, ticked in version.checklist)
        version_id = version.id
    assessor_client.post(f"/assess/{version_id}/claim", data={"csrf_token": csrf_token(assessor_client, "/assess")})
    page = assessor_client.get(f"/assess/{version_id}").get_data(as_text=True)
    assert "Completeness checklist, as ticked by the learner" in page
    assert page.count("Ticked:") == len(items) and "Not ticked:" not in page
    assert "Before you submit, check that you have" in page  # the task itself, with its checklist
