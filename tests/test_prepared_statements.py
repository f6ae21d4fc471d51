"""Transactions that only read end with COMMIT on PostgreSQL (psycopg then keeps its prepared statements);
any that wrote, or failed, still roll back."""

from __future__ import annotations

import pytest

from lms.extensions import db
from lms.models import User
from lms.prepared_statements import reads_only


def test_what_counts_as_only_reading():
    assert reads_only("SELECT users.id FROM users WHERE users.id = %(id)s")
    assert reads_only("  select 1") and reads_only("SELECT x FROM t FOR UPDATE")
    assert reads_only("WITH c AS (SELECT 1) SELECT * FROM c")
    for statement in ("INSERT INTO users (name) VALUES ('x')", "UPDATE users SET name = 'x'", "DELETE FROM users",
                      "WITH gone AS (DELETE FROM t RETURNING id) SELECT * FROM gone",
                      "WITH c AS (UPDATE t SET n = n + 1 RETURNING n) SELECT n FROM c",
                      "SAVEPOINT sa_1", "CREATE TABLE t (id int)", "TRUNCATE t"):
        assert not reads_only(statement), statement


@pytest.fixture
def postgres_app(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: psycopg's prepared statements")
    return app


def test_reading_requests_keep_the_connections_prepared_statements(postgres_app, make_user, client):
    make_user()
    with postgres_app.app_context():
        for _ in range(8):  # psycopg prepares a statement the fifth time it runs on a connection
            db.session.execute(db.select(User.id).where(User.email == "teacher@example.org")).all()
            db.session.rollback()  # what the end of a request does
        prepared = db.session.execute(db.text("SELECT count(*) FROM pg_prepared_statements")).scalar()
        assert prepared >= 1


def test_a_transaction_that_wrote_still_rolls_back(postgres_app, make_user):
    make_user()
    with postgres_app.app_context():
        db.session.execute(db.update(User).values(name="Not kept"))
        db.session.rollback()
        assert db.session.execute(db.select(User.name)).scalar() == "Test Teacher"
        db.session.execute(db.text("UPDATE users SET name = 'Not kept either'"))
        db.session.remove()  # the end of a request that never committed
        assert db.session.execute(db.select(User.name)).scalar() == "Test Teacher"


def test_a_failed_transaction_rolls_back(postgres_app, make_user):
    make_user()
    with postgres_app.app_context():
        with pytest.raises(Exception):
            db.session.execute(db.text("SELECT no_such_column FROM users")).all()
        db.session.rollback()
        assert db.session.execute(db.select(User.name)).scalar() == "Test Teacher"
