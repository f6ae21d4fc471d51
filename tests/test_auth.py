"""Registration forms, sign-in, sign-out and their protections, through the test client (emailed
account links are in test_accounts.py)."""

from __future__ import annotations

from lms.extensions import db
from lms.models import UserSession

from .conftest import PASSWORD, login, submit


def register(client, email="new@example.org", password=PASSWORD, confirm=None, name="Nadia Teacher"):
    return submit(client, "/register", {"name": name, "email": email, "password": password,
                                        "confirm": confirm or password})


def test_register_keeps_what_was_typed_and_explains_errors(client):
    response = register(client, password="short", confirm="short")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "at least 10 characters" in page
    assert 'value="new@example.org"' in page and 'value="Nadia Teacher"' in page


def test_register_rejects_mismatched_passwords(client):
    page = register(client, confirm="something else entirely").get_data(as_text=True)
    assert "The two passwords differ." in page


def test_login_and_logout(client, make_user):
    make_user()
    response = login(client)
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    response = submit(client, "/dashboard", {}, action="/logout")
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302  # back to sign-in


def test_logout_ends_the_session_on_the_server(app, client, make_user):
    make_user()
    login(client)
    stolen = client.get_cookie("lms_session").value  # e.g. copied from a shared school computer
    submit(client, "/dashboard", {}, action="/logout")
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(UserSession)).scalar_one() == 0
    other = app.test_client()
    other.set_cookie("lms_session", stolen)
    response = other.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.location


def test_unknown_email_and_wrong_password_get_the_same_answer(client, make_user):
    make_user()
    wrong_password = login(client, password="not the password at all")
    unknown_email = login(client, email="nobody@example.org")
    assert wrong_password.status_code == unknown_email.status_code == 401
    for response in (wrong_password, unknown_email):
        assert "That email and password do not match an account." in response.get_data(as_text=True)


def test_repeated_failures_lock_sign_in_for_a_while(app, client, make_user):
    make_user()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, password="wrong password guess").status_code == 401
    response = login(client)  # even the right password is refused while locked
    assert response.status_code == 401
    assert "Too many failed sign-in attempts. Please wait 15 minutes" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    # An unknown email locks the same way, so the lock reveals nothing about who has an account.
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, email="ghost@example.org", password="x" * 12)
    assert "Too many failed" in login(client, email="ghost@example.org").get_data(as_text=True)


def test_lock_expires(app, client, make_user):
    from datetime import timedelta

    from lms.models import LoginThrottle, utcnow

    make_user()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, password="wrong password guess")
    with app.app_context():
        for throttle in db.session.execute(db.select(LoginThrottle)).scalars():
            throttle.locked_until = utcnow() - timedelta(seconds=1)
            throttle.window_started_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    assert login(client).status_code == 302


def test_post_without_csrf_token_is_refused(client, make_user):
    make_user()
    response = client.post("/login", data={"email": "teacher@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_logout_is_not_possible_by_get(learner):
    assert learner.get("/logout").status_code == 405
    assert learner.get("/dashboard").status_code == 200


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    make_user()
    response = login(client)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("lms_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_in_redirects_only_within_the_site(client, make_user):
    make_user()
    token_page = "/login?next=https://evil.example/steal"
    response = submit(client, token_page, {"email": "teacher@example.org", "password": PASSWORD})
    assert response.status_code == 302 and response.location == "/dashboard"
    submit(client, "/dashboard", {}, action="/logout")
    response = submit(client, "/login?next=/units/questioning",
                      {"email": "teacher@example.org", "password": PASSWORD})
    assert response.location == "/units/questioning"


def test_pages_send_protective_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_sign_in_cookie_is_written_once_and_lasts_as_long_as_the_sign_in(app, make_user, client):
    from datetime import datetime, timezone
    from email.utils import parsedate_to_datetime

    make_user()
    response = login(client)
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("lms_session="))
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    hours = (expires - datetime.now(timezone.utc)).total_seconds() / 3600
    assert app.config["SESSION_HOURS"] - 0.1 < hours <= app.config["SESSION_HOURS"]
    client.get("/dashboard")  # shows (and so removes) the sign-in's flashed message: the session changes
    page = client.get("/dashboard")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers  # not signed and sent again
