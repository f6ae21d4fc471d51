"""Kept sign-ins and kept queue pages: no statement where nothing changed, and never a stale answer once
something did (a sign-in ended, an account deactivated, a role taken away, a notification, a submission,
a claim that ran out, another person's page)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

import lms.request_caches as request_caches
from lms.assessment import services as assessment
from lms.auth import services as accounts
from lms.evidence.models import EvidenceVersion
from lms.extensions import db
from lms.generations import Generation, watch
from lms.models import User, UserRole, UserSession
from lms.notifications.models import Notification
from lms.request_caches import Kept

from .conftest import csrf_token, make_app, signed_in, statements_sent
from .evidence_helpers import save_evidence

LISTENING = "active-listening-and-rapport"


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.execute(db.select(User.id).where(User.email == email)).scalar_one()


# --- generations ---------------------------------------------------------------------------------------

def test_a_generation_moves_on_after_a_committed_write_to_a_watched_table_only(app, tmp_path):
    generation = Generation(tmp_path / "g")
    generation.advance()
    with app.app_context():
        watch(db.engine, generation, {"notifications"})
        first = generation.current()
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        assert generation.current() == first  # a read
        db.session.execute(db.delete(UserSession))
        db.session.commit()
        assert generation.current() == first  # a table nobody watches here
        db.session.execute(db.delete(Notification))
        db.session.rollback()
        assert generation.current() == first  # undone
        db.session.execute(db.delete(Notification))
        db.session.commit()
        db.session.remove()  # the connection goes back: the write is visible to everyone
        assert generation.current() != first


def test_kept_values_need_the_same_stamps_and_expire():
    kept = Kept(size=2)
    later = time.time() + 60
    kept.put("a", ("g1",), later, "A")
    assert kept.get("a", ("g1",)) == "A"
    assert kept.get("a", ("g2",)) is None  # another generation: gone for good
    assert kept.get("a", ("g1",)) is None
    kept.put("b", ("g1",), time.time() - 1, "B")
    assert kept.get("b", ("g1",)) is None  # expired
    kept.put("c", ("",), later, "C")
    assert kept.get("c", ("",)) is None  # no generation yet: never kept
    for key in "xyz":
        kept.put(key, ("g1",), later, key)
    assert kept.get("x", ("g1",)) is None and kept.get("z", ("g1",)) == "z"  # the oldest go first


def test_nothing_is_kept_when_switched_off_or_for_several_servers_sharing_an_object_store(database_url, tmp_path):
    off = make_app(database_url, tmp_path / "a", REQUEST_CACHES=False)
    assert "lms.request_caches" not in off.extensions
    several = make_app(database_url, tmp_path / "b", STORAGE_BACKEND="s3", S3_BUCKET="b")
    assert "lms.request_caches" not in several.extensions


# --- sign-ins --------------------------------------------------------------------------------------------

def test_a_signed_in_request_needs_no_sign_in_statement_once_kept(app, make_user):
    teacher = signed_in(app, make_user, "t@example.org", "Tara Teacher", "learner")
    teacher.get("/profile")
    again = statements_sent(app, lambda: teacher.get("/profile"))
    assert not [s for s in again if "user_sessions" in s]
    assert "Tara Teacher" in teacher.get("/profile").get_data(as_text=True)


def test_a_kept_sign_in_ends_when_it_is_ended_elsewhere_or_the_account_is_deactivated(app, make_user):
    teacher = signed_in(app, make_user, "t@example.org", "Tara Teacher", "learner")
    assert teacher.get("/profile").status_code == 200  # kept now
    with app.app_context():
        db.session.execute(db.delete(UserSession))  # every sign-in ended (as an admin's "sign out everywhere")
        db.session.commit()
    assert teacher.get("/profile").status_code == 302

    other = signed_in(app, make_user, "o@example.org", "Omar Other", "learner")
    assert other.get("/profile").status_code == 200
    with app.app_context():
        db.session.get(User, user_id(app, "o@example.org")).active = False
        db.session.commit()
    assert other.get("/profile").status_code == 302


def test_a_kept_sign_in_expires_on_time(app, make_user, monkeypatch):
    teacher = signed_in(app, make_user, "t@example.org", "Tara Teacher", "learner")
    assert teacher.get("/profile").status_code == 200
    later = datetime.now(timezone.utc) + timedelta(hours=app.config["SESSION_HOURS"], minutes=1)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    assert teacher.get("/profile").status_code == 302


def test_a_role_taken_away_and_a_new_notification_show_on_the_next_request(app, make_user):
    assessor = signed_in(app, make_user, "a@example.org", "Ana Assessor", "assessor")
    assert assessor.get("/assess").status_code == 200
    page = assessor.get("/profile").get_data(as_text=True)
    assert "unread</span>" not in page
    uid = user_id(app, "a@example.org")
    with app.app_context():
        db.session.add(Notification(user_id=uid, message="Your calibration round opens", link="/calibration"))
        db.session.commit()
    assert '1<span class="visually-hidden"> unread' in assessor.get("/profile").get_data(as_text=True)
    with app.app_context():
        db.session.execute(db.delete(UserRole).where(UserRole.user_id == uid, UserRole.role == "assessor"))
        db.session.commit()
    assert assessor.get("/assess").status_code == 403


def test_a_kept_sign_in_still_lets_the_person_change_their_own_account(app, make_user):
    make_user("t@example.org", "Tara Teacher", "learner")
    with app.test_request_context():
        token = accounts.start_session(db.session.execute(db.select(User).where(User.email == "t@example.org"))
                                       .scalar_one())
    with app.test_request_context():
        assert accounts.user_for_session(token).name == "Tara Teacher"  # looked up, and kept
    with app.test_request_context():
        seen = statements_sent(app, lambda: accounts.user_for_session(token))
        assert seen == []  # kept: no statement
        user = accounts.user_for_session(token)
        assert user.roles == {"learner"}
        user.school = "Curepipe College"  # attached to this request's session like any loaded person
        db.session.commit()
    with app.app_context():
        assert db.session.get(User, user_id(app, "t@example.org")).school == "Curepipe College"
    with app.test_request_context():
        assert accounts.user_for_session(token).school == "Curepipe College"


# --- the assessor queue ----------------------------------------------------------------------------------

def test_the_queue_is_kept_until_a_submission_changes_it(app, make_user):
    assessor = signed_in(app, make_user, "a@example.org", "Ana Assessor", "assessor")
    learner = signed_in(app, make_user, "l@example.org", "Lea Learner", "learner")
    assert "0 submissions waiting" in assessor.get("/assess").get_data(as_text=True)
    assessor.get("/assess")
    assert statements_sent(app, lambda: assessor.get("/assess")) == []  # kept: not a single statement
    save_evidence(learner, LISTENING, submit=True)
    assert "1 submission waiting" in assessor.get("/assess").get_data(as_text=True)


def claimed_by_first_of_two(app, make_user):
    """Two assessors and a submission the first has opened: (first's client, second's client, version id)."""
    first = signed_in(app, make_user, "a@example.org", "Ana Assessor", "assessor")
    second = signed_in(app, make_user, "b@example.org", "Ben Assessor", "assessor")
    learner = signed_in(app, make_user, "l@example.org", "Lea Learner", "learner")
    save_evidence(learner, LISTENING, submit=True)
    with app.app_context():
        version_id = db.session.execute(db.select(EvidenceVersion.id)).scalar_one()
    first.post(f"/assess/{version_id}/claim", data={"csrf_token": csrf_token(first, "/assess")})
    return first, second, version_id


def test_a_kept_queue_is_one_persons_and_shows_their_messages(app, make_user):
    first, second, version_id = claimed_by_first_of_two(app, make_user)
    for _ in range(2):
        mine, theirs = first.get("/assess").get_data(as_text=True), second.get("/assess").get_data(as_text=True)
        assert "Continue" in mine and "Being assessed by" not in mine
        assert "Being assessed by Ana Assessor" in theirs and "Continue" not in theirs
    # A message for the next page (here a refusal that changes nothing) is shown, not a kept page without it.
    response = second.post(f"/assess/{version_id}/claim", data={"csrf_token": csrf_token(second, "/assess")},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Another assessor has just opened this submission" in page and "Being assessed by Ana Assessor" in page


def test_a_kept_queue_page_ends_when_a_claim_on_it_runs_out(app, make_user, monkeypatch):
    _, second, version_id = claimed_by_first_of_two(app, make_user)
    with app.app_context():  # a claim that runs out sooner than any page is kept for
        ends = datetime.now(timezone.utc) + timedelta(seconds=10)
        db.session.get(EvidenceVersion, version_id).claim_expires_at = ends
        db.session.commit()
    second.get("/assess")
    assert "Being assessed by Ana Assessor" in second.get("/assess").get_data(as_text=True)  # kept, claim and all
    monkeypatch.setattr(request_caches.time, "time", lambda: ends.timestamp() + 1)
    monkeypatch.setattr(assessment, "utcnow", lambda: ends + timedelta(seconds=1))
    assert "Being assessed by" not in second.get("/assess").get_data(as_text=True)
