"""Accounts by email: invitations, password resets, confirmed registration, changing password and
address; single-use, expiring links (expired, reused, wrong account); nothing revealed about who
has an account. Mail is read from a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lms.auth import accounts
from lms.auth import services as auth
from lms.auth.models import AccountToken
from lms.extensions import db
from lms.models import User, UserSession, utcnow

from .conftest import PASSWORD, csrf_token, login, submit
from .mail_helpers import body, link_in, smtp  # noqa: F401 - smtp is a fixture

NEW_PASSWORD = "a brand new passphrase"


def user_named(app, email):
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
        if user is not None:
            db.session.expunge(user)
        return user


def post_form(client, path, data=None):
    """Open an emailed link's page and press its button (the page's CSRF token, as a browser would)."""
    return client.post(path, data={"csrf_token": csrf_token(client, path), **(data or {})})


def expire_links(app):
    with app.app_context():
        db.session.execute(db.update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def signed_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


# --- invitations ------------------------------------------------------------------------------

@pytest.fixture
def invited(app, make_user, smtp):
    """An account created without a password and invited by an admin; returns the invitation link."""
    admin_id = make_user("admin@example.org", "Ada Admin", "admin")
    with app.test_request_context():
        user = auth.create_user("invitee@example.org", "Ines Invitee", None, "learner")
        accounts.invite(user, db.session.get(User, admin_id))
        db.session.commit()
    [message] = smtp.inbox.to("invitee@example.org")
    assert message["Subject"] == "You are invited to MCF Mentoring"
    assert "Ada Admin has opened an account for you" in body(message)
    return link_in(message, "/account/invitation/")


def test_an_invited_person_chooses_a_password_and_is_signed_in(app, client, invited):
    assert login(client, "invitee@example.org", "anything at all 1").status_code == 401  # no password yet
    page = client.get(invited)
    assert page.status_code == 200 and "Welcome, Ines Invitee" in page.get_data(as_text=True)
    response = post_form(client, invited, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and signed_in(client)
    other = app.test_client()
    assert login(other, "invitee@example.org", NEW_PASSWORD).status_code == 302


def test_an_invitation_works_once(app, client, invited):
    post_form(client, invited, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    stranger = app.test_client()
    page = stranger.get(invited)
    assert page.status_code == 410 and "already been used" in page.get_data(as_text=True)
    # Not even with a token taken from an earlier page load.
    token = csrf_token(app.test_client(), "/login")
    response = stranger.post(invited, data={"csrf_token": token, "password": "another password 2",
                                            "confirm": "another password 2"})
    assert response.status_code in (400, 410)
    assert login(app.test_client(), "invitee@example.org", "another password 2").status_code == 401


def test_an_expired_invitation_says_so_and_sets_nothing(app, client, invited):
    expire_links(app)
    page = client.get(invited)
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    assert 'name="password"' not in page.get_data(as_text=True)


def test_a_new_invitation_replaces_the_old_one(app, smtp, invited):
    with app.test_request_context():
        user = db.session.execute(db.select(User).where(User.email == "invitee@example.org")).scalar_one()
        accounts.invite(user, None)
        db.session.commit()
    newer = link_in(smtp.inbox.to("invitee@example.org")[-1], "/account/invitation/")
    client = app.test_client()
    assert client.get(invited).status_code == 410
    assert client.get(newer).status_code == 200


def test_a_mistyped_password_keeps_the_invitation_usable(app, client, invited):
    response = post_form(client, invited, {"password": "short", "confirm": "short"})
    assert response.status_code == 400 and "at least 10 characters" in response.get_data(as_text=True)
    response = post_form(client, invited, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302


def test_an_invitation_for_someone_else_is_refused_while_signed_in(app, learner, invited):
    page = learner.get(invited)
    assert page.status_code == 403 and "another account" in page.get_data(as_text=True)


# --- password reset ---------------------------------------------------------------------------

def ask_reset(client, email):
    return submit(client, "/account/forgot", {"email": email})


def test_reset_answers_the_same_for_known_and_unknown_addresses(app, client, make_user, smtp):
    make_user("known@example.org")
    known = ask_reset(client, "known@example.org")
    unknown = ask_reset(client, "unknown@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True).replace("known@", "X@") == \
        unknown.get_data(as_text=True).replace("unknown@", "X@")
    assert [m["To"] for m in smtp.inbox.messages] == ["known@example.org"]
    assert smtp.inbox.messages[0]["Subject"] == "Reset your MCF Mentoring password"


def test_reset_sets_a_new_password_and_ends_every_sign_in(app, client, make_user, smtp):
    make_user()
    elsewhere = app.test_client()
    login(elsewhere)
    ask_reset(client, "teacher@example.org")
    link = link_in(smtp.inbox.to("teacher@example.org")[0], "/account/reset/")
    assert client.get(link).status_code == 200
    response = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and signed_in(client)
    assert not signed_in(elsewhere)  # the other sign-in ended
    assert login(app.test_client()).status_code == 401  # the old password no longer works
    assert login(app.test_client(), password=NEW_PASSWORD).status_code == 302
    notice = smtp.inbox.to("teacher@example.org")[-1]
    assert notice["Subject"] == "Your MCF Mentoring password was changed"
    # The link was used: a second use is refused.
    again = app.test_client().get(link)
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)


def test_an_expired_reset_link_is_refused(app, client, make_user, smtp):
    make_user()
    ask_reset(client, "teacher@example.org")
    link = link_in(smtp.inbox.messages[0], "/account/reset/")
    expire_links(app)
    assert client.get(link).status_code == 410
    token = csrf_token(client, "/account/forgot")
    response = client.post(link, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert login(app.test_client(), password=NEW_PASSWORD).status_code == 401


def test_a_reset_link_is_refused_to_another_signed_in_account_and_stays_usable(app, make_user, smtp):
    make_user("owner@example.org", "Owen Owner")
    ask_reset(app.test_client(), "owner@example.org")
    link = link_in(smtp.inbox.messages[0], "/account/reset/")
    make_user("other@example.org", "Olga Other")
    other = app.test_client()
    login(other, "other@example.org")
    assert other.get(link).status_code == 403
    token = csrf_token(other, "/account")
    response = other.post(link, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 403
    assert login(app.test_client(), "other@example.org", NEW_PASSWORD).status_code == 401
    owner = app.test_client()
    assert post_form(owner, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


def test_a_made_up_link_is_refused(client):
    response = client.get("/account/reset/not-a-real-token")
    assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)


def test_repeated_reset_requests_send_one_email_at_a_time(client, make_user, smtp):
    make_user()
    for _ in range(3):
        ask_reset(client, "teacher@example.org")
    assert len(smtp.inbox.messages) == 1


def test_a_deactivated_account_gets_no_reset_email(app, client, make_user, smtp):
    user_id = make_user()
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert ask_reset(client, "teacher@example.org").status_code == 200
    assert smtp.inbox.messages == []


# --- registration -----------------------------------------------------------------------------

def register(client, email="new@example.org", password=PASSWORD, name="Nadia Teacher"):
    return submit(client, "/register", {"name": name, "email": email, "password": password, "confirm": password})


def test_registration_confirms_the_address_before_the_account_exists(app, client, smtp):
    response = register(client, email="Nadia@Example.org")
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    assert user_named(app, "nadia@example.org") is None
    link = link_in(smtp.inbox.to("nadia@example.org")[0], "/account/confirm/")
    page = client.get(link)  # opening the link changes nothing: the page has a button
    assert page.status_code == 200 and "Confirm and create my account" in page.get_data(as_text=True)
    assert user_named(app, "nadia@example.org") is None
    response = post_form(client, link)
    assert response.status_code == 302 and signed_in(client)
    user = user_named(app, "nadia@example.org")
    assert (user.name, user.role) == ("Nadia Teacher", "learner")
    assert login(app.test_client(), "nadia@example.org").status_code == 302
    assert app.test_client().get(link).status_code == 410  # once only


def test_registering_an_existing_address_answers_the_same_and_tells_its_owner(app, client, make_user, smtp):
    make_user("taken@example.org", "Tara Taken")
    fresh = register(client, email="fresh@example.org")
    taken = register(app.test_client(), email="TAKEN@example.org")
    assert fresh.status_code == taken.status_code == 200
    assert fresh.get_data(as_text=True).replace("fresh@", "X@") == taken.get_data(as_text=True).replace("taken@", "X@")
    [notice] = smtp.inbox.to("taken@example.org")
    assert notice["Subject"] == "You already have an MCF Mentoring account"
    assert "/account/confirm/" not in body(notice)
    assert login(app.test_client(), "taken@example.org").status_code == 302  # their password is unchanged


def test_registration_keeps_what_was_typed_and_explains_errors(client, smtp):
    response = register(client, password="short")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "at least 10 characters" in page
    assert 'value="new@example.org"' in page and 'value="Nadia Teacher"' in page
    assert smtp.inbox.messages == []


def test_an_expired_registration_link_creates_nothing(app, client, smtp):
    register(client)
    link = link_in(smtp.inbox.messages[0], "/account/confirm/")
    expire_links(app)
    assert client.get(link).status_code == 410
    assert user_named(app, "new@example.org") is None


def test_self_registration_can_be_switched_off(app, client, smtp):
    app.config["SELF_REGISTRATION"] = False
    assert client.get("/register").status_code == 403
    token = csrf_token(client, "/login")
    response = client.post("/register", data={"csrf_token": token, "name": "N", "email": "n@example.org",
                                              "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 403 and "invitation" in response.get_data(as_text=True)
    assert 'href="/register"' not in client.get("/login").get_data(as_text=True)
    assert smtp.inbox.messages == [] and user_named(app, "n@example.org") is None


# --- a signed-in person's password and address ------------------------------------------------

def test_changing_the_password_needs_the_current_one_and_ends_other_sign_ins(app, learner, smtp):
    elsewhere = app.test_client()
    login(elsewhere)
    wrong = submit(learner, "/account/password", {"current": "not my password", "password": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD})
    assert wrong.status_code == 400 and "not your current password" in wrong.get_data(as_text=True)
    assert signed_in(elsewhere)
    response = submit(learner, "/account/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                                                     "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert signed_in(learner) and not signed_in(elsewhere)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(UserSession)).scalar_one() == 1
    assert login(app.test_client(), password=NEW_PASSWORD).status_code == 302
    assert smtp.inbox.to("teacher@example.org")[-1]["Subject"] == "Your MCF Mentoring password was changed"


def test_the_email_address_changes_once_the_new_one_is_confirmed(app, learner, smtp):
    response = submit(learner, "/account/email", {"email": "New.Address@example.org", "password": PASSWORD})
    assert response.status_code == 200 and "new.address@example.org" in response.get_data(as_text=True)
    [message] = smtp.inbox.to("new.address@example.org")
    link = link_in(message, "/account/email/confirm/")
    assert user_named(app, "teacher@example.org") is not None  # unchanged until confirmed
    assert learner.get(link).status_code == 200
    assert post_form(learner, link).status_code == 302
    assert user_named(app, "new.address@example.org") is not None
    assert user_named(app, "teacher@example.org") is None
    [notice] = smtp.inbox.to("teacher@example.org")
    assert "new.address@example.org" in body(notice)
    assert login(app.test_client(), "new.address@example.org").status_code == 302
    assert app.test_client().get(link).status_code == 410


def test_an_email_change_link_is_refused_to_another_account(app, learner, make_user, smtp):
    submit(learner, "/account/email", {"email": "mine@example.org", "password": PASSWORD})
    link = link_in(smtp.inbox.to("mine@example.org")[0], "/account/email/confirm/")
    make_user("other@example.org", "Olga Other")
    other = app.test_client()
    login(other, "other@example.org")
    assert other.get(link).status_code == 403
    assert user_named(app, "mine@example.org") is None


def test_moving_to_a_taken_address_answers_the_same_and_changes_nothing(app, learner, make_user, smtp):
    make_user("taken@example.org", "Tara Taken")
    response = submit(learner, "/account/email", {"email": "taken@example.org", "password": PASSWORD})
    assert response.status_code == 200 and "We have sent a link to" in response.get_data(as_text=True)
    [notice] = smtp.inbox.to("taken@example.org")
    assert "/account/email/confirm/" not in body(notice)
    assert user_named(app, "teacher@example.org") is not None


def test_an_email_change_needs_the_password_and_keeps_what_was_typed(learner, smtp):
    response = submit(learner, "/account/email", {"email": "mine@example.org", "password": "wrong password"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "not your current password" in page and 'value="mine@example.org"' in page
    assert smtp.inbox.messages == []


def test_badges_keep_the_address_they_were_issued_to_and_new_ones_use_the_new_one(app, learner, smtp):
    from lms.badges import services as badges
    from lms.badges.models import BadgeAssertion

    from .test_badges import PD_UNITS, accept

    for slug in PD_UNITS:
        accept(app, "teacher@example.org", slug)
    submit(learner, "/account/email", {"email": "moved@example.org", "password": PASSWORD})
    post_form(learner, link_in(smtp.inbox.to("moved@example.org")[0], "/account/email/confirm/"))
    with app.test_request_context():
        assertions = {a.badge_class_id: a for a in db.session.execute(db.select(BadgeAssertion)).scalars()}
        assert {a.recipient_email for a in assertions.values()} == {"teacher@example.org"}
        learner_id = assertions["DSP"].user_id
        db.session.delete(assertions["PD"])  # as if the domain badge were earned only now
        db.session.commit()
        badges.issue_achievements(learner_id)
        db.session.commit()
        after = {a.badge_class_id: a.recipient_email for a in db.session.execute(db.select(BadgeAssertion)).scalars()}
    assert after == {"DSP": "teacher@example.org", "PD": "moved@example.org"}


def test_erasing_an_account_removes_its_emails_and_links(app, make_user, smtp):
    from lms.mail.models import OutboxMessage
    from lms.privacy.services import erase

    admin_id = make_user("admin@example.org", "Ada Admin", "admin")
    user_id = make_user("leaving@example.org", "Lee Leaving")
    ask_reset(app.test_client(), "leaving@example.org")
    with app.test_request_context():
        erase(db.session.get(User, admin_id), user_id, "leaving@example.org", app.config["SECRET_KEY"])
        assert db.session.execute(db.select(OutboxMessage).where(OutboxMessage.user_id == user_id)).first() is None
        assert db.session.execute(db.select(AccountToken).where(AccountToken.user_id == user_id)).first() is None
        assert not db.session.execute(db.select(OutboxMessage).where(
            OutboxMessage.to_address == "leaving@example.org")).first()


def test_spent_links_and_old_sent_mail_are_deleted_by_the_nightly_job(app, make_user, smtp):
    from lms.mail.models import OutboxMessage

    make_user()
    ask_reset(app.test_client(), "teacher@example.org")
    with app.app_context():
        assert accounts.forget_spent_links(utcnow()) == 0  # still live
        from lms.mail.services import forget_old_mail
        assert forget_old_mail(utcnow()) == 0
        later = utcnow() + timedelta(days=app.config["MAIL_KEEP_DAYS"] + 1)
        assert accounts.forget_spent_links(later) == 1
        assert forget_old_mail(later) == 1
        assert db.session.execute(db.select(db.func.count()).select_from(OutboxMessage)).scalar_one() == 0


def test_registering_again_and_again_does_not_flood_an_inbox(app, make_user, smtp):
    make_user("taken@example.org", "Tara Taken")
    for _ in range(3):
        assert register(app.test_client(), email="taken@example.org").status_code == 200
        assert register(app.test_client(), email="stranger@example.org").status_code == 200
    assert len(smtp.inbox.to("taken@example.org")) == 1
    assert len(smtp.inbox.to("stranger@example.org")) == 1
