"""Badge names: the framework's exact titles; criteria that state the standard and the evidence; and a
badge issued before its class was renamed keeps the name it was issued with, everywhere it is shown."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from lms.badges import services as badges
from lms.content_store import catalogue
from lms.domain.content import load_content
from lms.extensions import db

from .conftest import make_app, submit
from .content_fixtures import ROOT
from .test_badges import PD_UNITS, accept, held

OLD_NAME = "MCF Mentor: Effective dispositions"
OLD_DESCRIPTION = "The holder shows care and respect (as the class was described when this badge was issued)."
NEW_NAME = "MCF Mentor: Development of effective dispositions"


def test_badge_names_use_the_frameworks_exact_titles():
    cat = load_content(ROOT / "rubrics", ROOT / "modules").catalogue
    for badge in cat.badge_classes:
        if badge.kind == "competency":
            assert badge.name.endswith(cat.framework.competency(badge.target_id).title), badge.id
        elif badge.kind == "domain":
            assert badge.name.endswith(cat.framework.domain(badge.target_id).title), badge.id
        else:
            assert cat.framework.title in badge.name


def test_criteria_state_the_standard_and_the_evidence_tasks(app, client):
    page = client.get("/badges/classes/SDS/criteria").get_data(as_text=True)
    assert "has reached at least Proficient" in page
    # The tasks that evidence the competency, by name, with the indicators each evidences.
    assert "Map your mentoring roles and realign one responsibility" in page and "SDS.2, SDS.3, SDS.4" in page
    assert "Write your mentoring stance" in page
    # The standard per indicator, its conditions as a list.
    with app.app_context():
        conditions = catalogue().rubric.descriptor("SDS.2", 2).items
    section = page.split('id="std-SDS-2"', 1)[1].split("</section>", 1)[0]
    assert len(re.findall(r"<li>", section)) == len(conditions) >= 3
    domain = client.get("/badges/classes/PD").get_json()  # the 2.0 BadgeClass: criteria as text
    narrative = domain["criteria"]["narrative"]
    assert "every one of these 3 indicators at Proficient or above" in narrative
    assert "Two views of the same lesson" in narrative and "Dispositions journal and growth commentary" in narrative


@pytest.fixture
def renamed(app, learner, monkeypatch):
    """The learner earns DSP (and PD) while the DSP class has its old name; then the class is renamed."""
    report = app.extensions["lms.content"]
    current = report.catalogue
    assert current.badge_class("DSP").name == NEW_NAME
    before = tuple(replace(b, name=OLD_NAME, description=OLD_DESCRIPTION) if b.id == "DSP" else b
                   for b in current.badge_classes)
    monkeypatch.setattr(report, "catalogue", replace(current, badge_classes=before))
    for slug in PD_UNITS:
        accept(app, "teacher@example.org", slug)
    monkeypatch.setattr(report, "catalogue", current)  # the rename
    return learner


def test_a_badge_issued_before_a_rename_keeps_its_name_on_its_pages(app, renamed, client):
    ids = held(app)
    mine = renamed.get("/my/badges").get_data(as_text=True)
    assert OLD_NAME in mine and NEW_NAME not in mine
    assert "MCF Domain: Professional Dispositions" in mine  # a class not renamed: its name as ever
    public = renamed.get(f"/b/{ids['DSP']}").get_data(as_text=True)
    assert OLD_NAME in public and OLD_DESCRIPTION in public and NEW_NAME not in public
    assert OLD_NAME in renamed.get("/dashboard").get_data(as_text=True)
    # The class's own criteria page carries the current name.
    assert NEW_NAME in client.get("/badges/classes/DSP/criteria").get_data(as_text=True)


def test_a_badge_issued_before_a_rename_keeps_its_name_in_its_json(app, renamed, client):
    ids = held(app)
    # Open Badges 2.0: the assertion points to a BadgeClass of its own, under the name it was issued with.
    hosted = client.get(f"/badges/assertions/{ids['DSP']}").get_json()
    assert hosted["badge"] == f"http://localhost/badges/assertions/{ids['DSP']}/badge-class"
    issued_class = client.get(hosted["badge"]).get_json()
    assert issued_class["id"] == hosted["badge"] and issued_class["name"] == OLD_NAME
    assert issued_class["description"] == OLD_DESCRIPTION
    assert issued_class["image"] == "http://localhost/badges/classes/DSP/image.png"
    assert client.get("/badges/classes/DSP").get_json()["name"] == NEW_NAME
    # A badge whose class was not renamed still points to the shared class.
    assert client.get(f"/badges/assertions/{ids['PD']}").get_json()["badge"] == "http://localhost/badges/classes/PD"
    # Open Badges 3.0: signed with the name, and signed again (shared evidence changed) with the same name.
    first = client.get(f"/badges/credentials/{ids['DSP']}.json").get_json()
    assert first["name"] == OLD_NAME and first["credentialSubject"]["achievement"]["name"] == OLD_NAME
    page = renamed.get("/my/badges").get_data(as_text=True)
    version_id = re.findall(rf'id="ev-{ids["DSP"]}-(\d+)"', page)[0]
    submit(renamed, "/my/badges", {"version": [version_id]}, action=f"/my/badges/{ids['DSP']}/evidence")
    second = client.get(f"/badges/credentials/{ids['DSP']}.json").get_json()
    assert second["proof"] != first["proof"]
    assert second["name"] == OLD_NAME and second["credentialSubject"]["achievement"]["name"] == OLD_NAME
    # This app's own verifier names the badge as issued, from the 2.0 assertion and the 3.0 credential.
    with app.test_request_context():
        by_url = badges.verify(f"http://localhost/badges/assertions/{ids['DSP']}")
        assert by_url.status == "valid" and by_url.badge_name == OLD_NAME
    # The public register's feed and pages, once the earner lists themselves and makes the badge public.
    submit(renamed, "/my/badges", {"public": "1"}, action=f"/my/badges/{ids['DSP']}/visibility")
    with app.app_context():
        from lms.models import User
        from lms.register import services as register
        user = db.session.execute(db.select(User).where(User.email == "teacher@example.org")).scalar_one()
        register.update_profile(user, register.ProfileChange(user.name, "A school", "Port Louis", True))
    feed = client.get("/mentors.json").get_json()
    assert [b["name"] for m in feed["mentors"] for b in m["badges"]] == [OLD_NAME]
    assert OLD_NAME in client.get("/mentors").get_data(as_text=True)


def test_the_migration_keeps_the_names_existing_badges_were_issued_with(postgres, tmp_path):
    url = postgres.create("mig_") if postgres else f"sqlite:///{tmp_path / 'legacy.sqlite3'}"
    try:
        app = make_app(url, tmp_path / "instance")
        with app.app_context():
            upgrade(revision="a9_creds")
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO users (id, email, name, password_hash, created_at) "
                                  "VALUES (1, 'l@example.org', 'L', 'x', CURRENT_TIMESTAMP)"))
                for n, class_id in enumerate(("DSP", "SDS", "PD"), start=1):
                    conn.execute(text(
                        "INSERT INTO badge_assertions (id, public_id, user_id, badge_class_id, recipient_email, salt, "
                        "achieved_at, issued_at, is_public, shared_versions_json, revocation_reason, "
                        "credential_json, credential_version) VALUES (:n, :p, 1, :c, 'l@example.org', 's', "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, false, '[]', '', '', 0)"),
                        {"n": n, "p": f"00000000-0000-0000-0000-00000000000{n}", "c": class_id})
                conn.execute(text("INSERT INTO badge_images (assertion_id, form, version, data) "
                                  "VALUES (1, 'png', 1, :d)"), {"d": b"png"})
            upgrade()
            with db.engine.connect() as conn:
                names = dict(conn.execute(text("SELECT badge_class_id, badge_name FROM badge_assertions")).all())
                images = conn.execute(text("SELECT count(*) FROM badge_images")).scalar_one()
            assert names == {"DSP": OLD_NAME, "SDS": "MCF Mentor: Specialised development of self",
                             "PD": "MCF Domain: Professional Dispositions"}
            assert images == 1  # rebuilding the table (SQLite batch mode) cascaded into nothing
            db.engine.dispose()
    finally:
        if postgres:
            postgres.drop(url)
