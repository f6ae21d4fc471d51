"""The learner's path through the web: dashboard, unit pages, completion, progress that lasts."""

from __future__ import annotations

import re

from lms.content_store import catalogue as current_catalogue

from .conftest import login, make_app, submit


def units(app):
    """The units with an evidence task, in course order (the orientation unit comes before them)."""
    with app.app_context():
        return current_catalogue().task_units


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.location
    assert client.get("/units/questioning").status_code == 302
    assert "Create an account" in client.get("/").get_data(as_text=True)


def test_dashboard_shows_four_domains_with_progress_and_the_first_unit(app, learner):
    page = learner.get("/dashboard").get_data(as_text=True)
    for title in ("Professional Identity", "Professional Knowledge and Skills", "Professional Relationships",
                  "Professional Dispositions"):
        assert title in page
    assert page.count('<svg class="ring"') == 4
    assert 'aria-label="Professional Identity: 0 of 4 units completed"' in page
    with app.app_context():
        first = current_catalogue().units[0]
    assert first.slug == "plan-your-placement"
    assert f'href="/units/{first.slug}">Begin: {first.title}' in page


def test_unit_page_shows_outcomes_time_indicators_and_text(app, learner):
    unit = units(app)[0]
    page = learner.get(f"/units/{unit.slug}").get_data(as_text=True)
    assert f"<h1>{unit.title}</h1>" in page
    assert f"about {unit.minutes} minutes" in page
    assert unit.outcomes[0] in page
    for indicator_id in unit.indicator_ids:
        assert f'href="/framework/{indicator_id}"' in page
    assert unit.html in page  # the cached, rendered body
    assert "Evidence task: " in page and unit.reflection.split()[0] in page


def test_unit_html_is_rendered_once_not_per_request(app, learner, monkeypatch):
    import lms.domain.markdown_render as rendering

    calls = []
    monkeypatch.setattr(rendering.markdown, "markdown", lambda *a, **k: calls.append(1) or "")
    for unit in units(app)[:3]:
        assert learner.get(f"/units/{unit.slug}").status_code == 200
    assert calls == []


def test_orientation_unit_has_no_task_and_does_not_count_in_domain_progress(app, learner):
    page = learner.get("/units/plan-your-placement").get_data(as_text=True)
    assert "<h1>Plan your placement</h1>" in page and "Getting started (not assessed)" in page
    assert "Evidence task:" not in page and "## Research behind this unit" not in page
    assert "Research behind this unit</h2>" in page
    assert learner.get("/units/plan-your-placement/evidence").status_code == 404
    submit(learner, "/units/plan-your-placement", {}, action="/units/plan-your-placement/complete")
    dashboard = learner.get("/dashboard").get_data(as_text=True)
    assert "Getting started" in dashboard and 'href="/units/plan-your-placement"' in dashboard
    assert re.search(r"\b0 of \d+ units completed", dashboard)
    assert 'aria-label="Professional Identity: 0 of 4 units completed"' in dashboard


def test_unit_page_shows_key_method_task_parts_checklist_and_sources(app, learner):
    unit = next(u for u in units(app) if u.slug == "roles-of-a-mentor")
    page = learner.get(f"/units/{unit.slug}").get_data(as_text=True)
    assert "Key method:" in page and unit.key_method.split()[0] in page
    assert f"Write {unit.task.min_words} to {unit.task.max_words} words in the evidence form" in page
    assert f"about {unit.task.effort_hours} hours" in page
    assert page.count('<li><p><strong>') >= len(unit.task.parts)
    assert "Evidences SDS.3" in page and "Evidences SDS.4" in page
    assert "Before you submit, check that you have" in page
    for item in unit.task.checklist:
        assert item in page
    assert "https://doi.org/10.1016/j.tate.2008.09.001" in page


def test_unknown_unit_is_404(learner):
    assert learner.get("/units/no-such-unit").status_code == 404


def test_completing_a_unit_moves_on_and_shows_on_the_dashboard(app, learner):
    first, second = units(app)[:2]
    response = submit(learner, f"/units/{first.slug}", {}, action=f"/units/{first.slug}/complete")
    assert response.status_code == 302 and response.location == f"/units/{second.slug}"
    page = learner.get("/dashboard").get_data(as_text=True)
    assert "1 of 19 units completed" in page or re.search(r"1 of \d+ units completed", page)
    assert 'aria-label="Professional Identity: 1 of 4 units completed"' in page
    assert f"Resume: {second.title}" in page
    assert "Completed" in learner.get(f"/units/{first.slug}").get_data(as_text=True)


def test_completing_twice_changes_nothing(app, learner):
    first = units(app)[0]
    for _ in range(2):
        submit(learner, f"/units/{first.slug}", {}, action=f"/units/{first.slug}/complete")
    assert re.search(r"\b1 of \d+ units completed", learner.get("/dashboard").get_data(as_text=True))


def test_marking_not_complete(app, learner):
    first = units(app)[0]
    submit(learner, f"/units/{first.slug}", {}, action=f"/units/{first.slug}/complete")
    submit(learner, f"/units/{first.slug}", {}, action=f"/units/{first.slug}/incomplete")
    assert re.search(r"\b0 of \d+ units completed", learner.get("/dashboard").get_data(as_text=True))


def test_completion_needs_a_post_with_csrf(app, learner):
    first = units(app)[0]
    assert learner.get(f"/units/{first.slug}/complete").status_code == 405
    assert learner.post(f"/units/{first.slug}/complete").status_code == 400
    assert re.search(r"\b0 of \d+ units completed", learner.get("/dashboard").get_data(as_text=True))


def test_progress_survives_a_restart_and_is_per_learner(app, learner, make_user, database_url, tmp_path):
    first = units(app)[0]
    submit(learner, f"/units/{first.slug}", {}, action=f"/units/{first.slug}/complete")
    make_user("other@example.org", "Other Teacher")
    # A new app process on the same database: as after a restart.
    restarted = make_app(database_url, tmp_path / "instance")
    same = restarted.test_client()
    login(same)
    assert "Resume:" in same.get("/dashboard").get_data(as_text=True)
    assert re.search(r"\b1 of \d+ units completed", same.get("/dashboard").get_data(as_text=True))
    other = restarted.test_client()
    login(other, "other@example.org")
    assert re.search(r"\b0 of \d+ units completed", other.get("/dashboard").get_data(as_text=True))


def test_framework_pages_have_stable_urls(client):
    overview = client.get("/framework").get_data(as_text=True)
    assert overview.count('href="/framework/') >= 4 + 7 + 38
    assert "Actively listening to each other during conversations" in client.get("/framework/COM.4").get_data(
        as_text=True)
    assert "Communication" in client.get("/framework/COM").get_data(as_text=True)
    assert "Professional Relationships" in client.get("/framework/PR").get_data(as_text=True)
    assert client.get("/framework/com.4").location.endswith("/framework/COM.4")
    assert client.get("/framework/XYZ.1").status_code == 404
