"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from lms.extensions import db

from .conftest import make_app


def test_migrations_match_the_models(postgres, tmp_path):
    url = postgres.create("mig_") if postgres else f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    try:
        app = make_app(url, tmp_path / "instance")
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == []
            downgrade(revision="base")
            with db.engine.connect() as conn:
                assert not set(db.metadata.tables) & set(db.inspect(conn).get_table_names())
            db.engine.dispose()
    finally:
        if postgres:
            postgres.drop(url)
