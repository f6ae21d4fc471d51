"""Fixtures: an app on a fresh database (SQLite, or PostgreSQL from LMS_TEST_DATABASE_URL), clients, users.

LMS_TEST_DATABASE_URL names a PostgreSQL server and a database name; the run creates a database
of that name with a random suffix, uses it, and drops it at the end. It never touches
LMS_DATABASE_URL, the app's own database.
"""

from __future__ import annotations

import os
import re
import secrets
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from lms import create_app
from lms.config import normalise_database_url
from lms.extensions import db

ROOT = Path(__file__).resolve().parent.parent
TEST_DB_ENV = "LMS_TEST_DATABASE_URL"
PASSWORD = "correct horse battery"


class PostgresServer:
    """Creates and drops throwaway databases on the server named by LMS_TEST_DATABASE_URL."""

    def __init__(self, url: str):
        self.url = make_url(normalise_database_url(url))
        self.admin = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def create(self, suffix: str = "") -> str:
        name = f"{self.url.database or 'lms_test'}_{suffix}{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres():
    """The PostgreSQL server under test, or None when the suite runs on SQLite."""
    url = os.environ.get(TEST_DB_ENV)
    if not url:
        yield None
        return
    server = PostgresServer(url)
    yield server
    server.admin.dispose()


@pytest.fixture(scope="session")
def shared_database_url(postgres):
    """One PostgreSQL database for the run (tables emptied after each test); None on SQLite."""
    if postgres is None:
        yield None
        return
    url = postgres.create()
    yield url
    postgres.drop(url)


@pytest.fixture
def database_url(shared_database_url, tmp_path):
    """The database URL for one test: the shared PostgreSQL database, or a new SQLite file."""
    return shared_database_url or f"sqlite:///{tmp_path / 'test.sqlite3'}"


def make_app(database_url: str, instance: Path, **overrides):
    """An app for tests, with its own instance folder and fast password hashing."""
    config = {
        "TESTING": True,
        "PASSWORD_HASH_CHEAP": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(16),
        # No random second marks unless a test asks for them (tests of sampling set it to 1).
        "SECOND_MARKING_SHARE": 0.0,
        # Issuing signs credentials that carry their URLs: it needs the public address.
        "PUBLIC_BASE_URL": "http://localhost",
        **overrides,
    }
    os.environ["LMS_INSTANCE_PATH"] = str(instance)
    try:
        return create_app(config)
    finally:
        del os.environ["LMS_INSTANCE_PATH"]


@pytest.fixture
def app(database_url, tmp_path):
    """The app on a fresh, empty schema."""
    app = make_app(database_url, tmp_path / "instance")
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


def statements_sent(app, fn) -> list[str]:
    """The SQL statements the app sends to its database while ``fn`` runs."""
    seen = []
    with app.app_context():
        engine = db.engine

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


@contextmanager
def nothing_kept(app):
    """Requests served as by a worker that keeps nothing between requests (no kept sign-ins or pages): the
    cost every request can have, which statement counts bound."""
    caches = app.extensions.pop("lms.request_caches", None)
    try:
        yield
    finally:
        if caches is not None:
            app.extensions["lms.request_caches"] = caches


def csrf_token(client, path: str) -> str:
    """The CSRF token from the form on ``path``, as a browser would have it."""
    response = client.get(path)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
    assert match, f"no CSRF token in the page at {path} (status {response.status_code})"
    return match.group(1)


def submit(client, form_path: str, data: dict, action: str | None = None, **kwargs):
    """Fill in the form on ``form_path`` and post it (to ``action`` if the form posts elsewhere)."""
    token = csrf_token(client, form_path)
    return client.post(action or form_path, data={"csrf_token": token, **data}, **kwargs)


@pytest.fixture
def make_user(app):
    """Create an account directly through the service layer."""
    from lms.auth import services

    def make(email="teacher@example.org", name="Test Teacher", role="learner", password=PASSWORD):
        with app.app_context():
            user = services.create_user(email, name, password, role)
            return user.id

    return make


def login(client, email="teacher@example.org", password=PASSWORD):
    """Sign in through the real form."""
    return submit(client, "/login", {"email": email, "password": password})


@pytest.fixture
def learner(make_user, client):
    """A signed-in learner's client."""
    make_user()
    response = login(client)
    assert response.status_code == 302
    return client


def signed_in(app, make_user, email: str, name: str, role: str):
    """A new account with this role, signed in on a client of its own."""
    make_user(email, name, role)
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def admin_client(app, make_user):
    """A signed-in admin, on a client of its own."""
    return signed_in(app, make_user, "admin@example.org", "Ada Admin", "admin")


@pytest.fixture
def assessor_client(app, make_user):
    """A signed-in, calibrated assessor (lead assessors count as calibrated), on a client of its own:
    their first marks are final unless drawn for a second mark."""
    return signed_in(app, make_user, "assessor@example.org", "Asha Assessor", ("assessor", "lead_assessor"))


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replace pytest-flask's fixture of this name, which keeps one request context open around
    each test: requests would then share ``g`` (and Flask-WTF's cached CSRF token) as no browser does."""
    yield


@pytest.fixture
def client(app):
    """A browser-like client. (pytest-flask's fixture of this name keeps the last request's context
    open, so ``g`` and the signed-in user would leak into the next request of another client.)"""
    return app.test_client()
