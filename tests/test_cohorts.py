"""Cohorts and people: the programme lead's pages, the learner's target dates, who may do what."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lms.cohorts import services
from lms.cohorts.models import Cohort, CohortAssessor, CohortLearner, CohortTarget
from lms.extensions import db
from lms.models import AuditEvent, User

from .conftest import PASSWORD, csrf_token, login, signed_in, submit


@pytest.fixture
def lead_client(app, make_user):
    """A signed-in programme lead."""
    return signed_in(app, make_user, "lead@example.org", "Lina Lead", "programme_lead")


def make_cohort(app, name="Intake A", starts=None, ends=None, targets=()) -> int:
    today = date.today()
    with app.app_context():
        cohort = services.create_cohort(None, name, starts or today - timedelta(days=60),
                                        ends or today + timedelta(days=120))
        for kind, ref, due in targets:
            db.session.add(CohortTarget(cohort_id=cohort.id, kind=kind, ref=ref, due_on=due))
        db.session.commit()
        return cohort.id


def enrol(app, email, cohort_id):
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.email == email)).scalar_one()
        services.enrol(None, user, db.session.get(Cohort, cohort_id))
        return user.id


def test_learners_and_assessors_cannot_reach_the_programme_pages(app, learner, assessor_client):
    cohort_id = make_cohort(app)
    for client in (learner, assessor_client):
        for path in ("/programme", "/programme/people", "/programme/enrol", f"/programme/cohorts/{cohort_id}",
                     f"/programme/cohorts/{cohort_id}/report", f"/programme/cohorts/{cohort_id}/report/funnel.csv"):
            assert client.get(path).status_code == 403, path
        # Posting is refused too, and changes nothing.
        token = csrf_token(client, "/dashboard")
        assert client.post("/programme", data={"csrf_token": token, "name": "X", "starts_on": "2027-01-01",
                                               "ends_on": "2027-02-01"}).status_code == 403
    assert "Programme" not in learner.get("/dashboard").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Cohort)).scalar_one() == 1


def test_a_programme_lead_creates_a_cohort_and_its_plan_keeping_what_was_typed(app, lead_client):
    response = submit(lead_client, "/programme", {"name": "Intake A", "starts_on": "2027-01-04",
                                                  "ends_on": "2027-06-30"})
    assert response.status_code == 302
    edit_path = response.location
    # A date outside the cohort's dates is refused; everything typed comes back.
    response = submit(lead_client, edit_path, {"name": "Intake A", "starts_on": "2027-01-04", "ends_on": "2027-06-30",
                                               "due_domain_PI": "2027-03-31", "due_unit_questioning": "2028-01-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "is outside the cohort&#39;s dates" in page
    assert 'value="2027-03-31"' in page and 'value="2028-01-01"' in page
    response = submit(lead_client, edit_path, {"name": "Intake A", "starts_on": "2027-01-04", "ends_on": "2027-06-30",
                                               "due_domain_PI": "2027-03-31", "due_unit_questioning": "2027-05-01"})
    assert response.status_code == 302
    page = lead_client.get(response.location).get_data(as_text=True)
    assert "31 Mar 2027" in page and "01 May 2027" in page
    with app.app_context():
        cohort = db.session.execute(db.select(Cohort)).scalar_one()
        assert {(t.kind, t.ref, t.due_on) for t in cohort.targets} == {
            ("domain", "PI", date(2027, 3, 31)), ("unit", "questioning", date(2027, 5, 1))}
    # The same name again is refused with a message, and the form keeps the typing.
    response = submit(lead_client, "/programme", {"name": " intake  a ", "starts_on": "2027-01-04",
                                                  "ends_on": "2027-06-30"})
    assert response.status_code == 400
    assert "There is already a cohort called" in response.get_data(as_text=True)


def test_the_learner_sees_what_is_due_and_an_extension_moves_their_dates(app, learner, lead_client):
    today = date.today()
    cohort_id = make_cohort(app, targets=[("unit", "what-mentoring-is", today - timedelta(days=3)),
                                          ("unit", "roles-of-a-mentor", today + timedelta(days=10))])
    learner_id = enrol(app, "teacher@example.org", cohort_id)
    page = learner.get("/dashboard").get_data(as_text=True)
    assert "Your cohort: Intake A" in page
    assert "Past its target date" in page and "Unit: What mentoring is" in page
    assert "Next target date" in page and "(10 days from today)" in page

    response = submit(lead_client, f"/programme/cohorts/{cohort_id}",
                      {f"e{learner_id}-days": "7"}, action=f"/programme/cohorts/{cohort_id}/learners/{learner_id}/extend")
    assert response.status_code == 302
    page = learner.get("/dashboard").get_data(as_text=True)
    assert "Past its target date" not in page
    assert "(4 days from today)" in page  # the overdue unit, now due 7 days later
    with app.app_context():
        assert db.session.get(CohortLearner, learner_id).extension_days == 7
        assert db.session.execute(db.select(AuditEvent.action).where(AuditEvent.action == "cohort.extended")
                                  ).scalar_one()


def test_submitting_evidence_meets_a_unit_target(app, learner):
    from .evidence_helpers import save_evidence

    cohort_id = make_cohort(app, targets=[("unit", "what-mentoring-is", date.today() - timedelta(days=1))])
    enrol(app, "teacher@example.org", cohort_id)
    assert "Past its target date" in learner.get("/dashboard").get_data(as_text=True)
    assert save_evidence(learner, "what-mentoring-is", submit=True).status_code == 302
    page = learner.get("/dashboard").get_data(as_text=True)
    assert "Past its target date" not in page and "met every target date" in page


def test_moving_a_learner_and_a_stale_move_is_refused(app, lead_client, make_user):
    a, b, c = make_cohort(app, "Intake A"), make_cohort(app, "Intake B"), make_cohort(app, "Intake C")
    make_user("mover@example.org", "Mo Mover")
    uid = enrol(app, "mover@example.org", a)
    page = lead_client.get(f"/programme/cohorts/{a}").get_data(as_text=True)
    assert "Mo Mover" in page
    response = submit(lead_client, f"/programme/cohorts/{a}", {f"m{uid}-to_cohort": str(b),
                                                               f"m{uid}-from_cohort": str(a)},
                      action=f"/programme/cohorts/{a}/learners/{uid}/move", follow_redirects=True)
    assert "Mo Mover moved to “Intake B”" in response.get_data(as_text=True)
    # A second tab still showing them in Intake A cannot move them elsewhere over the change.
    response = submit(lead_client, f"/programme/cohorts/{b}", {f"m{uid}-to_cohort": str(c),
                                                               f"m{uid}-from_cohort": str(a)},
                      action=f"/programme/cohorts/{a}/learners/{uid}/move", follow_redirects=True)
    assert "moved or removed by someone else meanwhile" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CohortLearner, uid).cohort_id == b


def test_assessors_are_assigned_and_taken_off(app, lead_client, make_user):
    cohort_id = make_cohort(app)
    make_user("marker@example.org", "Mark Marker", "assessor")
    make_user("plain@example.org", "Plain Learner")
    page = lead_client.get(f"/programme/cohorts/{cohort_id}").get_data(as_text=True)
    assert "Mark Marker (marker@example.org)" in page and "Plain Learner (plain" not in page
    with app.app_context():
        marker = db.session.execute(db.select(User.id).where(User.email == "marker@example.org")).scalar_one()
    path = f"/programme/cohorts/{cohort_id}"
    assert submit(lead_client, path, {"assessor": str(marker)}, action=path + "/assessors").status_code == 302
    submit(lead_client, path, {"assessor": str(marker)}, action=path + "/assessors")  # a double click
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(CohortAssessor)).scalar_one() == 1
        assert services.cohorts_of_assessor(marker) == {cohort_id}
    submit(lead_client, path, {}, action=f"{path}/assessors/{marker}/remove")
    with app.app_context():
        assert services.cohorts_of_assessor(marker) == set()


def test_accounts_are_created_deactivated_and_reactivated(app, lead_client, make_user):
    response = submit(lead_client, "/programme/people", {"name": "Nia New", "email": "Nia@Example.org",
                                                         "school": "Royal College", "roles": ["learner"]})
    assert response.status_code == 302
    with app.app_context():
        nia = db.session.execute(db.select(User).where(User.email == "nia@example.org")).scalar_one()
        assert nia.school == "Royal College" and nia.roles == {"learner"}
    assert "An invitation to choose a password is on its way." in lead_client.get(response.location).get_data(as_text=True)
    from lms.mail.models import OutboxMessage
    with app.app_context():
        assert db.session.execute(db.select(OutboxMessage.kind).where(OutboxMessage.to_address == "nia@example.org")
                                  ).scalars().all() == ["invitation"]
    # No password works until the person chooses one from their invitation.
    assert login(app.test_client(), "nia@example.org", "!" + "x" * 20).status_code == 401
    # A programme lead cannot create an admin; what was typed stays in the form.
    response = submit(lead_client, "/programme/people", {"name": "Evil Admin", "email": "evil@example.org",
                                                         "roles": ["admin"]})
    assert response.status_code == 400 and 'value="evil@example.org"' in response.get_data(as_text=True)

    make_user("leaving@example.org", "Lee Leaving")
    theirs = app.test_client()
    assert login(theirs, "leaving@example.org").status_code == 302
    with app.app_context():
        uid = db.session.execute(db.select(User.id).where(User.email == "leaving@example.org")).scalar_one()
    response = submit(lead_client, "/programme/people", {}, action=f"/programme/people/{uid}/deactivate",
                      follow_redirects=True)
    assert "Lee Leaving can no longer sign in; their records stay." in response.get_data(as_text=True)
    assert theirs.get("/dashboard").status_code == 302  # their open session ended
    assert login(app.test_client(), "leaving@example.org").status_code == 401
    submit(lead_client, "/programme/people", {}, action=f"/programme/people/{uid}/reactivate")
    assert login(app.test_client(), "leaving@example.org", PASSWORD).status_code == 302


def test_a_programme_lead_cannot_deactivate_an_admin_or_themselves(app, lead_client, make_user):
    make_user("boss@example.org", "Bo Admin", "admin")
    with app.app_context():
        ids = dict(db.session.execute(db.select(User.email, User.id)).all())
    for email in ("boss@example.org", "lead@example.org"):
        response = submit(lead_client, "/programme/people", {},
                          action=f"/programme/people/{ids[email]}/deactivate", follow_redirects=True)
        assert "cannot deactivate" in response.get_data(as_text=True) or "Only an admin" in response.get_data(as_text=True)
    with app.app_context():
        assert all(db.session.get(User, i).active for i in ids.values())


def test_the_cohort_learner_filter_selects_only_that_cohorts_learners(app, make_user):
    a, b = make_cohort(app, "Intake A"), make_cohort(app, "Intake B")
    make_user("one@example.org", "One")
    make_user("two@example.org", "Two")
    one, two = enrol(app, "one@example.org", a), enrol(app, "two@example.org", b)
    with app.app_context():
        ids = set(db.session.execute(db.select(User.id).where(User.id.in_(services.cohort_learner_ids(a)))).scalars())
        assert ids == {one} and two not in ids


def test_the_dashboard_of_a_cohort_learner_costs_the_same_statements_whatever_the_plan(app, learner):
    from .evidence_helpers import save_evidence
    from .test_statement_counts import StatementCounter

    today = date.today()
    cohort_id = make_cohort(app, targets=[("unit", "what-mentoring-is", today + timedelta(days=3))])
    enrol(app, "teacher@example.org", cohort_id)
    with app.app_context():
        engine = db.engine

    def count() -> int:
        learner.get("/dashboard")
        with StatementCounter(engine) as counter:
            assert learner.get("/dashboard").status_code == 200
        return counter.count

    save_evidence(learner, "what-mentoring-is", submit=True)
    save_evidence(learner, "roles-of-a-mentor", submit=True)
    small = count()
    with app.app_context():
        for n, unit in enumerate(catalogue_units()[1:8]):
            db.session.add(CohortTarget(cohort_id=cohort_id, kind="unit", ref=unit, due_on=today + timedelta(days=n)))
        db.session.add(CohortTarget(cohort_id=cohort_id, kind="domain", ref="PR", due_on=today + timedelta(days=30)))
        db.session.commit()
    assert count() == small


def catalogue_units() -> list[str]:
    from lms.content_store import catalogue
    return [u.slug for u in catalogue().units if getattr(u, "task", None) is not None]
