"""The audit trail reads as sentences with names, filters by person, action and dates, and exports safely."""

from __future__ import annotations

import csv
import io

from lms.audit import services as audit
from lms.domain.audit_text import EventFacts, sentence
from lms.domain.spreadsheet import spreadsheet_safe as safe_cell
from lms.extensions import db
from lms.models import AuditEvent, User

from .conftest import login, submit


def test_events_read_as_sentences_with_names():
    decided = EventFacts("assessment.decided", "Asha Assessor", "Priya Ramdin",
                         {"outcome": "not_yet", "unit": "questioning", "unit_title": "Questioning", "version": 2})
    assert sentence(decided) == "Asha Assessor returned “not yet” Priya Ramdin's evidence for “Questioning” (version 2)."
    roles = EventFacts("user.roles_changed", "Ada Admin", "Test Teacher",
                       {"old": ["learner"], "new": ["assessor", "lead_assessor"]})
    assert sentence(roles) == "Ada Admin changed Test Teacher's roles from learner to assessor, lead assessor."
    assert sentence(EventFacts("signin.failed", None, "Test Teacher", {})) == \
        "A sign-in as Test Teacher failed: wrong password or unknown email."
    # An action nobody wrote words for still reads as a sentence, without ids or JSON.
    odd = sentence(EventFacts("cohort.target_moved", "Ada Admin", "Test Teacher", {"cohort_id": 4, "days": 7}))
    assert odd == "Ada Admin: cohort target moved about Test Teacher (days: 7)."


def test_spreadsheet_cells_never_start_a_formula():
    assert safe_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert [safe_cell(v) for v in ("+1", "-2", "@SUM(A1)", "plain", None, 3)] == ["'+1", "'-2", "'@SUM(A1)", "plain", "", 3]


def test_admin_filters_the_trail_by_person_action_and_date_and_downloads_csv(app, admin_client, make_user, client):
    make_user("teacher@example.org", "=Test Teacher")
    make_user("other@example.org", "Other Person")
    assert login(client, "teacher@example.org", "wrong password!").status_code == 401
    uid = db_id(app, "teacher@example.org")
    submit(admin_client, "/admin/users", {"roles": ["learner", "assessor"], "expected_roles": "learner"},
           action=f"/admin/users/{uid}/role")

    page = admin_client.get("/admin/audit?person=teacher@example.org").get_data(as_text=True)
    assert "A sign-in as =Test Teacher failed" in page
    assert "Ada Admin changed =Test Teacher&#39;s roles from learner to learner, assessor." in page
    assert "Other Person" not in page and "user:" not in page and "{&#34;" not in page

    only_failures = admin_client.get("/admin/audit?action=signin.failed").get_data(as_text=True)
    assert "sign-in as" in only_failures and "changed =Test" not in only_failures
    assert "Nothing recorded that matches" in admin_client.get("/admin/audit?until=2001-01-01").get_data(as_text=True)
    bad = admin_client.get("/admin/audit?since=yesterday").get_data(as_text=True)
    assert "is not a date" in bad and 'value="yesterday"' in bad

    response = admin_client.get("/admin/audit.csv?person=teacher@example.org")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["when (UTC)", "who", "action", "about", "what happened"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert any(row[3] == "'=Test Teacher" and row[2] == "signin.failed" for row in rows[1:])


def test_only_admins_read_the_trail(learner):
    assert learner.get("/admin/audit").status_code == 403
    assert learner.get("/admin/audit.csv").status_code == 403


def test_a_locked_sign_in_is_recorded(app, make_user, client):
    make_user("teacher@example.org")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
        login(client, "teacher@example.org", "wrong password!")
    with app.app_context():
        actions = [e.action for e in db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id)).scalars()]
        uid = db.session.execute(db.select(User.id).where(User.email == "teacher@example.org")).scalar_one()
        assert actions.count("signin.failed") == app.config["LOGIN_MAX_FAILURES"]
        assert actions[-1] == "signin.locked"
        page = audit.page_of(audit.AuditFilter(person_id=uid), 1)
        assert page.total == app.config["LOGIN_MAX_FAILURES"] + 2  # account created, failures, the lock


def db_id(app, email):
    with app.app_context():
        return db.session.execute(db.select(User.id).where(User.email == email)).scalar_one()
