"""The learner's evidence: drafts, files, links, submission, safety, and nothing typed lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.evidence.models import EvidenceFile, EvidenceVersion
from lms.extensions import db

from .conftest import login
from .evidence_helpers import PDF, PNG, REFLECTION, evidence_page, revision_of, save_evidence, task_with_minimum

SLUG = "active-listening-and-rapport"


def version_rows(app):
    with app.app_context():
        return [(v.number, v.status) for v in db.session.execute(db.select(EvidenceVersion)
                                                                 .order_by(EvidenceVersion.id)).scalars()]


def test_the_evidence_page_shows_the_task_and_its_rubric(learner):
    page = evidence_page(learner, SLUG)
    assert "How this is assessed" in page
    for label in ("Not yet evident", "Emerging", "Proficient", "Accomplished"):
        assert label in page
    assert "COM.4" in page and "Actively listening to each other during conversations" in page
    assert 'for="reflection"' in page and 'for="files"' in page and 'for="links"' in page


def test_a_draft_saves_without_submitting(app, learner):
    response = save_evidence(learner, SLUG, reflection="First thoughts, to finish later.",
                             links="https://drive.example.org/folder")
    assert response.status_code == 302
    page = evidence_page(learner, SLUG)
    assert "First thoughts, to finish later." in page and "https://drive.example.org/folder" in page
    assert version_rows(app) == [(1, "draft")]
    assert "Draft" in learner.get("/evidence").get_data(as_text=True)


def test_submitting_moves_it_to_the_queue_and_locks_it(app, learner):
    response = save_evidence(learner, SLUG, submit=True)
    assert response.status_code == 302
    page = evidence_page(learner, SLUG)
    assert "Waiting for an assessor" in page and 'name="reflection"' not in page
    assert version_rows(app) == [(1, "submitted")]
    assert 'aria-label="Professional Relationships: 1 of 8 units completed"' in learner.get("/dashboard").get_data(
        as_text=True)  # submitting evidence completes the unit
    # A stale form posted again cannot change submitted evidence.
    again = save_evidence(learner, SLUG, reflection="changed after submitting", revision="2")
    assert again.status_code == 400 and "waiting for assessment" in again.get_data(as_text=True)


def test_a_refused_submit_keeps_everything_typed(app, learner):
    slug, minimum, _ = task_with_minimum(app)
    response = save_evidence(learner, slug, reflection="Too short to submit.", submit=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (f"asks for at least {minimum} words and the reflection has 4, so {minimum - 4} more words are needed"
            in page)
    assert "Too short to submit." in page
    assert version_rows(app) == [(1, "draft")]  # kept as a draft


def test_a_bad_link_is_explained_and_the_text_kept(app, learner):
    response = save_evidence(learner, SLUG, reflection="My careful paragraph.",
                             links="https://ok.example.org\njavascript:alert(1)")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Line 2 of the links is not a web address" in page
    assert "My careful paragraph." in page and "javascript:alert(1)" in page  # still in the form, escaped
    assert version_rows(app) == []


def test_files_are_checked_by_content_and_stored_under_generated_names(app, learner):
    response = save_evidence(learner, SLUG, files=[("lesson notes.pdf", PDF), ("board.png", PNG)])
    assert response.status_code == 302
    with app.app_context():
        files = db.session.execute(db.select(EvidenceFile).order_by(EvidenceFile.id)).scalars().all()
        assert [(f.original_name, f.content_type) for f in files] == [
            ("lesson notes.pdf", "application/pdf"), ("board.png", "image/png")]
        stored = Path(app.instance_path, "uploads", files[0].storage_key[:2], files[0].storage_key)
        assert stored.read_bytes() == PDF
        assert "lesson notes" not in str(stored)
        assert not list(Path(app.instance_path, "uploads").rglob(".upload-*"))  # no half-written files
    assert "lesson notes.pdf" in evidence_page(learner, SLUG)


def test_a_file_pretending_to_be_a_pdf_is_refused_with_the_reason(app, learner):
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    response = save_evidence(learner, SLUG, reflection="Keep this text.", files=[("notes.pdf", html)])
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "“notes.pdf” is not a file type we accept" in page
    assert "Keep this text." in page
    with app.app_context():
        assert db.session.execute(db.select(EvidenceFile)).first() is None
        assert db.session.execute(db.select(EvidenceVersion.reflection)).scalar_one() == "Keep this text."


def test_a_file_over_the_size_limit_is_refused(app, database_url, tmp_path, make_user):
    from .conftest import make_app
    small = make_app(database_url, tmp_path / "small", UPLOAD_MAX_MB=1)
    client = small.test_client()
    make_user()
    login(client)
    response = save_evidence(client, SLUG, files=[("video.mp4", PDF + b"0" * (1024 * 1024 + 10))])
    assert response.status_code == 400
    assert "larger than 1 MB" in response.get_data(as_text=True)
    assert not [p for p in Path(small.instance_path, "uploads").rglob("*") if p.is_file()]


def test_downloads_are_attachments_only_for_those_allowed(app, learner, make_user):
    save_evidence(learner, SLUG, files=[("plan.pdf", PDF)])
    with app.app_context():
        file_id = db.session.execute(db.select(EvidenceFile.id)).scalar_one()
    with learner.get(f"/evidence/files/{file_id}") as response:  # a streamed file: close it when done
        assert response.status_code == 200 and response.data == PDF
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"

    make_user("other@example.org", "Other Learner")
    other = app.test_client()
    login(other, "other@example.org")
    assert other.get(f"/evidence/files/{file_id}").status_code == 404
    assert app.test_client().get(f"/evidence/files/{file_id}").status_code == 302  # to sign-in


def test_learners_see_only_their_own_evidence(app, learner, make_user):
    save_evidence(learner, SLUG, reflection="Private reflection of the first learner.")
    make_user("other@example.org", "Other Learner")
    other = app.test_client()
    login(other, "other@example.org")
    assert "Private reflection of the first learner." not in evidence_page(other, SLUG)
    assert other.get("/assess").status_code == 403


def test_removing_a_file_from_the_draft(app, learner):
    save_evidence(learner, SLUG, files=[("plan.pdf", PDF)])
    with app.app_context():
        evidence_file = db.session.execute(db.select(EvidenceFile)).scalar_one()
        stored = Path(app.instance_path, "uploads", evidence_file.storage_key[:2], evidence_file.storage_key)
    from .conftest import csrf_token
    token = csrf_token(learner, f"/units/{SLUG}/evidence")
    assert learner.post(f"/evidence/files/{evidence_file.id}/remove", data={"csrf_token": token}).status_code == 302
    page = evidence_page(learner, SLUG)
    assert "Removed “plan.pdf”." in page and 'download>plan.pdf</a>' not in page
    assert not stored.exists()


def test_a_conflicting_edit_is_refused_and_loses_nothing(app, learner):
    save_evidence(learner, SLUG, reflection="Version from the laptop.")
    stale_revision = revision_of(evidence_page(learner, SLUG))
    save_evidence(learner, SLUG, reflection="Newer words from the phone.")
    response = save_evidence(learner, SLUG, reflection="Older tab's text.", revision=stale_revision)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "saved from another window or device" in page
    assert "Older tab&#39;s text." in page or "Older tab's text." in page
    with app.app_context():
        assert db.session.execute(db.select(EvidenceVersion.reflection)).scalar_one() == "Newer words from the phone."


@pytest.mark.parametrize("attack", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<div onmouseover="alert(1)">hover</div>',
])
def test_reflections_are_rendered_without_anything_that_can_run(app, learner, attack):
    save_evidence(learner, SLUG, reflection=REFLECTION + "\n\n" + attack, submit=True)
    page = evidence_page(learner, SLUG)
    body = page.split('<div class="reflection-text">', 1)[1].split("</div>", 1)[0]
    lowered = body.lower()
    assert "<script" not in lowered and "onerror" not in lowered and "onmouseover" not in lowered
    assert "javascript:" not in lowered and "data:" not in lowered
    assert "I met my student educator" in body
