"""The public register of certified mentors: opt-in only, searchable, with a JSON feed; leaving is immediate."""

from __future__ import annotations

from lms.badges.models import BadgeAssertion
from lms.extensions import db
from lms.models import User

from .conftest import submit
from .test_badges import earner, held  # noqa: F401  (fixture: a learner holding DSP and PD)


def join(client, school="Royal College Curepipe", region="Curepipe", name="Test Teacher", join=True):
    data = {"name": name, "school": school, "region": region}
    if join:
        data["in_register"] = "y"
    return submit(client, "/my/profile", data)


def make_public(app):
    with app.app_context():
        db.session.execute(db.update(BadgeAssertion).values(is_public=True))
        db.session.commit()


def test_nobody_appears_without_opting_in(app, earner):  # noqa: F811
    client = app.test_client()  # an anonymous visitor
    make_public(app)
    assert "Test Teacher" not in client.get("/mentors").get_data(as_text=True)
    assert client.get("/mentors.json").get_json()["mentors"] == []


def test_an_opted_in_mentor_is_listed_searchable_and_verifiable_then_leaves_at_once(app, earner):  # noqa: F811
    client = app.test_client()  # an anonymous visitor
    make_public(app)
    assert join(earner).status_code == 302
    with app.app_context():
        handle = db.session.execute(db.select(User.register_id).where(User.email == "teacher@example.org")).scalar_one()
    listing = client.get("/mentors").get_data(as_text=True)
    assert "Test Teacher" in listing and "Royal College Curepipe" in listing
    assert "Test Teacher" in client.get("/mentors?competency=DSP&region=Curepipe").get_data(as_text=True)
    assert "Test Teacher" in client.get("/mentors?domain=PD&name=teach").get_data(as_text=True)
    assert "Test Teacher" not in client.get("/mentors?competency=COM").get_data(as_text=True)
    assert "Test Teacher" not in client.get("/mentors?region=Port+Louis").get_data(as_text=True)
    assert "Test Teacher" not in client.get("/mentors?name=%25").get_data(as_text=True)  # % is a plain character

    feed = client.get("/mentors.json?domain=PD").get_json()
    assert feed["total"] == 1
    entry = feed["mentors"][0]
    assert entry["name"] == "Test Teacher" and entry["school"] == "Royal College Curepipe"
    assert {b["badge_class"] for b in entry["badges"]} == {"DSP", "PD"}
    assert "email" not in str(feed) and "teacher@example.org" not in str(feed)
    # Each badge listed verifies, through its own hosted assertion.
    assertion = client.get(entry["badges"][0]["assertion_url"].replace("http://localhost", ""))
    assert assertion.status_code == 200 and assertion.get_json()["type"] == "Assertion"

    page = client.get(f"/mentors/{handle}").get_data(as_text=True)
    assert "Test Teacher" in page and "Royal College Curepipe" in page and "teacher@example.org" not in page

    assert join(earner, join=False).status_code == 302
    assert client.get(f"/mentors/{handle}").status_code == 404
    assert "Test Teacher" not in client.get("/mentors").get_data(as_text=True)


def test_only_public_unrevoked_badges_are_shown(app, earner):  # noqa: F811
    client = app.test_client()  # an anonymous visitor
    join(earner)
    assert client.get("/mentors.json").get_json()["mentors"] == []  # badges still private: not listed
    make_public(app)
    with app.app_context():
        dsp = db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.badge_class_id == "DSP")).scalar_one()
        dsp.revoked_at = dsp.issued_at
        db.session.commit()
    entry = client.get("/mentors.json").get_json()["mentors"][0]
    assert {b["badge_class"] for b in entry["badges"]} == {"PD"}


def test_the_profile_keeps_what_was_typed_when_refused(earner):  # noqa: F811
    response = join(earner, school="", region="Mahébourg")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Give your school before joining" in page
    assert 'value="Mahébourg"' in page
