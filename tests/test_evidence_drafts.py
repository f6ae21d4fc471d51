"""Nothing typed is lost: autosave, refused posts that give the text back, stated limits, double clicks, length."""

from __future__ import annotations

from lms.evidence.models import EvidenceVersion
from lms.extensions import db

from .conftest import csrf_token, login
from .evidence_helpers import OPENING, REFLECTION, evidence_page, revision_of, save_evidence, task_with_minimum

SLUG = "active-listening-and-rapport"


def versions(app):
    with app.app_context():
        return [(v.number, v.status, v.reflection) for v in
                db.session.execute(db.select(EvidenceVersion).order_by(EvidenceVersion.id)).scalars()]


def autosave(client, reflection, revision, token=None):
    return client.post(f"/units/{SLUG}/evidence/autosave", headers={"Accept": "application/json"},
                       data={"csrf_token": token or csrf_token(client, f"/units/{SLUG}/evidence"),
                             "reflection": reflection, "links": "", "revision": revision})


def test_autosave_saves_the_draft_and_refuses_a_stale_page(app, learner):
    first = autosave(learner, "First thoughts", "0")
    assert first.status_code == 200 and first.get_json()["words"] == 2
    second = autosave(learner, "First thoughts, then more", str(first.get_json()["revision"]))
    assert second.status_code == 200
    assert versions(app) == [(1, "draft", "First thoughts, then more")]
    # A page opened before those saves must not overwrite them.
    stale = autosave(learner, "From an old tab", str(first.get_json()["revision"]))
    assert stale.status_code == 409 and stale.get_json()["conflict"]
    assert versions(app)[0][2] == "First thoughts, then more"
    # The plain Save button carries on from the revision the script last saw.
    page = evidence_page(learner, SLUG)
    assert revision_of(page) == str(second.get_json()["revision"]) and "First thoughts, then more" in page


def test_a_post_after_signing_out_elsewhere_saves_nothing_and_gives_the_text_back(app, learner):
    page = evidence_page(learner, SLUG)
    token, revision = csrf_token(learner, f"/units/{SLUG}/evidence"), revision_of(page)
    learner.post("/logout", data={"csrf_token": token})  # the other tab signs out
    words = "My reflection written while the sign-in ended, <b>kept</b> in full."
    response = learner.post(f"/units/{SLUG}/evidence", data={"csrf_token": token, "reflection": words,
                                                             "links": "", "revision": revision, "save": "1"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "Nothing was saved" in body
    assert "My reflection written while the sign-in ended, &lt;b&gt;kept&lt;/b&gt; in full." in body
    assert versions(app) == []
    # Autosave from the same page is refused as well, and saves nothing.
    assert autosave(learner, words, revision, token=token).status_code == 400
    assert versions(app) == []


def test_a_post_after_the_sign_in_ended_on_the_server_gives_the_text_back(app, learner):
    from lms.models import UserSession

    token = csrf_token(learner, f"/units/{SLUG}/evidence")
    with app.app_context():
        db.session.execute(db.delete(UserSession))
        db.session.commit()
    response = learner.post(f"/units/{SLUG}/evidence", data={"csrf_token": token, "reflection": "Typed, not lost.",
                                                             "revision": "0", "save": "1"})
    assert response.status_code == 401 and "Typed, not lost." in response.get_data(as_text=True)
    assert versions(app) == []
    script = autosave(learner, "Typed, not lost.", "0", token=token)
    assert script.status_code == 401 and script.is_json
    assert learner.get("/dashboard").status_code == 302  # and pages still send them to sign in


def test_an_over_long_reflection_is_refused_with_its_length_and_kept(app, learner):
    page = evidence_page(learner, SLUG)
    assert "Up to 30,000 characters" in page
    assert "maxlength" not in page.split('id="reflection"')[1].split(">")[0]  # no silent cut on paste
    text = "word " * 7_000  # 35,000 characters
    response = save_evidence(learner, SLUG, reflection=text, submit=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "35,000 characters long; the limit is 30,000" in body and "by 5,000 characters" in body
    assert text.strip() in body
    assert versions(app) == []  # not stored cut short, not submitted


def test_double_clicking_submit_gives_one_version_and_the_confirmation(app, learner):
    page = evidence_page(learner, SLUG)
    token, revision = csrf_token(learner, f"/units/{SLUG}/evidence"), revision_of(page)
    data = {"csrf_token": token, "reflection": REFLECTION, "links": "", "revision": revision,
            "submit_for_assessment": "1"}
    first = learner.post(f"/units/{SLUG}/evidence", data=data)
    second = learner.post(f"/units/{SLUG}/evidence", data=data)
    assert first.status_code == second.status_code == 302
    assert "Submitted for assessment" in learner.get(second.location).get_data(as_text=True)
    assert [(n, s) for n, s, _ in versions(app)] == [(1, "submitted")]
    # Different text from the same stale page is still refused, not taken as a double click.
    third = learner.post(f"/units/{SLUG}/evidence", data={**data, "reflection": REFLECTION + " More."})
    assert third.status_code == 400


def test_the_expected_length_is_shown_and_a_short_submission_is_saved_not_submitted(app, learner):
    slug, minimum, maximum = task_with_minimum(app)  # as the unit's front matter states it
    page = evidence_page(learner, slug)
    stated = f"{minimum}–{maximum} words" if maximum else f"at least {minimum} words"
    assert f"This task asks for {stated}." in page
    assert f'data-min-words="{minimum}"' in page and f"0 words: {minimum} short of the {minimum} needed to submit" in page
    response = save_evidence(learner, slug, reflection="Only five words are here.", submit=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"has 5, so {minimum - 5} more words are needed" in body and "Only five words are here." in body
    assert versions(app) == [(1, "draft", "Only five words are here.")]
    assert f"5 words: {minimum - 5} short of the {minimum} needed to submit" in evidence_page(learner, slug)


def test_a_task_with_a_stated_length_is_checked_against_it(app, learner, monkeypatch):
    from lms.evidence import services

    monkeypatch.setattr(services, "expected_length", lambda slug: (60, 80))
    page = evidence_page(learner, SLUG)
    assert "This task asks for 60–80 words." in page and 'data-min-words="60"' in page
    response = save_evidence(learner, SLUG, reflection=OPENING, submit=True)  # 55 words
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "at least 60 words and the reflection has 55, so 5 more words" in body
    assert versions(app) == [(1, "draft", OPENING)]
    monkeypatch.setattr(services, "expected_length", lambda slug: (None, None))  # e.g. the main text is a file
    page = evidence_page(learner, SLUG)
    assert "This task asks for" not in page
    assert save_evidence(learner, SLUG, reflection="See the attached recording.", submit=True).status_code == 302
