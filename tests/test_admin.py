"""Roles: an admin changes them on a page; nobody else can; conflicting edits are refused."""

from __future__ import annotations

import json

from lms.extensions import db
from lms.models import AuditEvent, User, UserRole

from .conftest import submit


def roles_of(app, email):
    with app.app_context():
        return set(db.session.execute(db.select(UserRole.role).join(User).where(User.email == email)).scalars())


def user_id(app, email):
    with app.app_context():
        return db.session.execute(db.select(User.id).where(User.email == email)).scalar_one()


def test_admin_gives_several_roles(app, admin_client, make_user):
    make_user("teacher@example.org")
    uid = user_id(app, "teacher@example.org")
    response = submit(admin_client, "/admin/users", {"roles": ["assessor", "lead_assessor"], "expected_roles": "learner"},
                      action=f"/admin/users/{uid}/role")
    assert response.status_code == 302
    assert roles_of(app, "teacher@example.org") == {"assessor", "lead_assessor"}
    page = admin_client.get(response.location).get_data(as_text=True)
    assert "Test Teacher&#39;s roles: assessor, lead assessor." in page
    with app.app_context():
        event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "user.roles_changed")).scalar_one()
        assert json.loads(event.details) == {"old": ["learner"], "new": ["assessor", "lead_assessor"]}
        assert event.actor.email == "admin@example.org"
        user = db.session.get(User, uid)
        assert user.has_role("lead_assessor") and user.has_role("assessor") and not user.has_role("admin")
    assert "user.roles_changed" in admin_client.get("/admin/audit").get_data(as_text=True)


def test_a_conflicting_edit_is_refused_not_overwritten(app, admin_client, make_user):
    make_user("teacher@example.org")
    uid = user_id(app, "teacher@example.org")
    # Another admin made them an assessor after this page was loaded (it still says learner).
    with app.app_context():
        db.session.add(UserRole(user_id=uid, role="assessor"))
        db.session.commit()
    response = submit(admin_client, "/admin/users", {"roles": ["admin"], "expected_roles": "learner"},
                      action=f"/admin/users/{uid}/role", follow_redirects=True)
    assert "changed to learner, assessor by someone else" in response.get_data(as_text=True)
    assert roles_of(app, "teacher@example.org") == {"learner", "assessor"}


def test_the_last_admin_cannot_be_demoted(app, admin_client):
    uid = user_id(app, "admin@example.org")
    response = submit(admin_client, "/admin/users", {"roles": ["learner"], "expected_roles": "admin"},
                      action=f"/admin/users/{uid}/role", follow_redirects=True)
    assert "only admin account" in response.get_data(as_text=True)
    assert roles_of(app, "admin@example.org") == {"admin"}


def test_an_account_keeps_at_least_one_role(app, admin_client, make_user):
    make_user("teacher@example.org")
    uid = user_id(app, "teacher@example.org")
    response = submit(admin_client, "/admin/users", {"expected_roles": "learner"},
                      action=f"/admin/users/{uid}/role", follow_redirects=True)
    assert "at least one role" in response.get_data(as_text=True)
    assert roles_of(app, "teacher@example.org") == {"learner"}


def test_a_deactivated_person_cannot_sign_in_and_their_sign_ins_end(app, make_user, client):
    from .conftest import login
    make_user("teacher@example.org")
    assert login(client).status_code == 302
    assert client.get("/dashboard").status_code == 200
    with app.app_context():
        db.session.execute(db.update(User).values(active=False))
        db.session.commit()
    assert client.get("/dashboard").status_code == 302  # the open sign-in no longer works
    response = login(app.test_client())
    assert response.status_code == 401
    assert "deactivated" in response.get_data(as_text=True)


def test_learners_and_assessors_are_refused_admin_pages(app, learner, make_user):
    uid = user_id(app, "teacher@example.org")
    assert learner.get("/admin/users").status_code == 403
    assert learner.get("/admin/audit").status_code == 403
    token_source = "/dashboard"
    response = submit(learner, token_source, {"roles": ["admin"], "expected_roles": "learner"},
                      action=f"/admin/users/{uid}/role")
    assert response.status_code == 403
    assert roles_of(app, "teacher@example.org") == {"learner"}


def test_anonymous_is_sent_to_sign_in_from_admin(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.location


def test_admin_page_lists_and_searches_users(admin_client, make_user):
    make_user("zoe@example.org", "Zoë Ramsamy")
    make_user("raj@example.org", "Raj Teeluck")
    page = admin_client.get("/admin/users?q=ramsamy").get_data(as_text=True)
    assert "zoe@example.org" in page and "raj@example.org" not in page
    assert '<label for="role-' in page
