"""The exemplars page: a signed-in learner opens an accepted and a not-yet example from the task."""

from __future__ import annotations

import pytest
from markupsafe import escape

from lms.content_store import catalogue as current_catalogue
from lms.extensions import db

from .conftest import make_app, signed_in, submit
from .content_fixtures import EXEMPLAR_FIXTURE, exemplar_tree, unit_text

PAGE = "/units/listening/exemplars"


@pytest.fixture
def app(database_url, tmp_path):
    """The app on a small content tree: the 'listening' unit with the fixture exemplars, and one unit without."""
    text = EXEMPLAR_FIXTURE.read_text(encoding="utf-8").replace(
        "before I said anything at all.",
        "before I said anything at all. <script>alert('x')</script> <img src=x onerror=alert(1)>").replace(
        "The questions are described, though not quoted.", "The questions are described <script>bad()</script>.")
    rubrics, modules = exemplar_tree(tmp_path / "content", text,
                                     units={"speaking.md": unit_text(order=2, title="Speaking")})
    app = make_app(database_url, tmp_path / "instance", RUBRICS_DIR=str(rubrics), MODULES_DIR=str(modules))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


def descriptor(app, indicator_id: str, level_id: str) -> str:
    with app.app_context():
        rubric = current_catalogue().rubric
        return rubric.descriptor(indicator_id, rubric.level_by_id(level_id).value)


def test_a_learner_sees_both_examples_with_annotations_levels_and_current_descriptors(app, learner):
    response = learner.get(PAGE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "A debrief where the mentor held back" in page and "A debrief where the mentor talked most" in page
    assert "A mentor in a fictional secondary school in Mahébourg" in page
    assert "listening-log.pdf" in page and "The log of three listening moves" in page
    assert "<h4>Listening log</h4>" in page  # the learner's text, rendered from Markdown
    assert "The log is dated and shows what the mentee said after each move." in page
    for level, indicator in (("Proficient", "COM.4"), ("Accomplished", "COM.6"), ("Emerging", "COM.4")):
        assert f"{level} descriptor for {indicator}" in page
    for indicator, level in (("COM.4", "proficient"), ("COM.6", "accomplished"), ("COM.4", "emerging")):
        shown = descriptor(app, indicator, level)
        for condition in shown.items or (shown,):  # a list of conditions is shown condition by condition
            assert str(escape(condition)) in page
    # Below the required level, what Proficient asks is one click away.
    assert "What Proficient asks for" in page
    assert "The assessor’s “not yet” feedback" in page and "To reach Proficient, give the date" in page
    assert len(response.data) < 100_000


def test_script_in_an_exemplar_is_never_run(app, learner):
    page = learner.get(PAGE).get_data(as_text=True)
    assert "<script>alert" not in page and "<script>bad" not in page and "onerror" not in page
    assert "&lt;script&gt;bad()&lt;/script&gt;" in page  # a note is shown as text


def test_anonymous_visitors_are_sent_to_sign_in(client, app):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.location


def test_any_signed_in_role_may_read_them(app, make_user):
    assessor = signed_in(app, make_user, "assessor@example.org", "An Assessor", "assessor")
    assert assessor.get(PAGE).status_code == 200


def test_reading_the_unit_first_is_suggested_not_required(app, learner):
    assert "Read the unit first" in learner.get(PAGE).get_data(as_text=True)
    submit(learner, "/units/listening", {}, action="/units/listening/complete")
    page = learner.get(PAGE).get_data(as_text=True)
    assert "Read the unit first" not in page and "A debrief where the mentor held back" in page


def test_the_task_and_the_evidence_page_link_to_the_examples(app, learner):
    link = f'<a href="{PAGE}">See an accepted and a not-yet example</a>'
    assert link in learner.get("/units/listening").get_data(as_text=True)
    assert link in learner.get("/units/listening/evidence").get_data(as_text=True)
    # A task without exemplars has no link and no page.
    assert "See an accepted and a not-yet example" not in learner.get("/units/speaking").get_data(as_text=True)
    assert learner.get("/units/speaking/exemplars").status_code == 404
    assert learner.get("/units/nothing/exemplars").status_code == 404


def test_a_descriptor_written_as_a_list_of_conditions_is_shown_as_a_list(app, learner):
    with app.app_context():
        current_catalogue().rubric.descriptors["COM.4"]["proficient"] = [
            "Three dated listening moves", "What the mentee said after each, in their words"]
    page = learner.get(PAGE).get_data(as_text=True)
    assert ("<ul><li>Three dated listening moves</li><li>What the mentee said after each, in their words</li></ul>"
            in page)


def test_the_shipped_examples_render_small_for_a_signed_in_learner(database_url, tmp_path):
    from .conftest import PASSWORD, login
    from lms.auth import services as accounts

    shipped = make_app(database_url, tmp_path / "shipped")
    with shipped.app_context():
        db.create_all()
        accounts.create_user("reader@example.org", "A Reader", PASSWORD, "learner")
        slugs = [s.unit_slug for s in current_catalogue().exemplar_sets]
    try:
        client = shipped.test_client()
        assert login(client, "reader@example.org").status_code == 302
        assert {"agency-and-wellbeing", "dispositions-journal", "empathy-and-respect"} <= set(slugs)
        for slug in slugs:
            response = client.get(f"/units/{slug}/exemplars")
            page = response.get_data(as_text=True)
            assert response.status_code == 200 and len(response.data) < 100_000, slug
            assert "What the assessor saw" in page and "The assessor’s “not yet” feedback" in page, slug
            assert "See an accepted and a not-yet example" in client.get(f"/units/{slug}").get_data(as_text=True)
    finally:
        with shipped.app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())
            db.engine.dispose()
