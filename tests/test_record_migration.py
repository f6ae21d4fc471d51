"""Upgrading a database with evidence decided before the learner's record and task texts existed."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from flask_migrate import upgrade
from sqlalchemy import text

from lms.domain.task_texts import TaskText
from lms.extensions import db

from .conftest import make_app

DATA = "lms/migrations/data/task_texts_v1.json"


def test_the_shipped_task_texts_carry_their_own_hashes():
    from .conftest import ROOT
    rows = json.loads((ROOT / DATA).read_text(encoding="utf-8"))
    assert len({r["unit_slug"] for r in rows}) == len(rows) >= 19
    for row in rows:
        assert TaskText(row["unit_slug"], row["title"], row["instructions"],
                        tuple(row["indicator_ids"])).content_hash == row["content_hash"]


def test_existing_evidence_is_linked_to_the_task_text_of_its_day_and_its_decisions_kept(postgres, tmp_path):
    url = postgres.create("mig_") if postgres else f"sqlite:///{tmp_path / 'legacy.sqlite3'}"
    try:
        app = make_app(url, tmp_path / "instance")
        with app.app_context():
            upgrade(revision="0003")
            when = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
            if db.engine.dialect.name == "sqlite":
                when = when.replace(tzinfo=None)
            with db.engine.begin() as conn:
                for uid, email in ((1, "learner@example.org"), (2, "assessor@example.org")):
                    conn.execute(text("INSERT INTO users (id, email, name, password_hash, role, created_at) "
                                      "VALUES (:id, :e, 'X', 'x', 'learner', :t)"), {"id": uid, "e": email, "t": when})
                conn.execute(text("INSERT INTO submissions (id, learner_id, unit_slug, created_at) "
                                  "VALUES (1, 1, 'active-listening-and-rapport', :t)"), {"t": when})
                conn.execute(text("INSERT INTO evidence_versions (id, submission_id, number, status, reflection, "
                                  "links_json, revision, created_at, updated_at, submitted_at) "
                                  "VALUES (1, 1, 1, 'accepted', 'Old words', '[]', 1, :t, :t, :t)"), {"t": when})
                conn.execute(text("INSERT INTO assessments (id, version_id, assessor_id, outcome, feedback, decided_at) "
                                  "VALUES (1, 1, 2, 'accepted', '', :t)"), {"t": when})
                for n, (indicator, level) in enumerate((("COM.3", 2), ("COM.4", 2), ("COM.7", 1)), start=1):
                    conn.execute(text("INSERT INTO indicator_scores (id, assessment_id, indicator_id, level, comment) "
                                      "VALUES (:n, 1, :i, :l, '')"), {"n": n, "i": indicator, "l": level})
            upgrade()
            with db.engine.connect() as conn:
                linked = conn.execute(text(
                    "SELECT t.unit_slug, t.number, t.title FROM evidence_version_task_texts l "
                    "JOIN task_texts t ON t.id = l.task_text_id WHERE l.version_id = 1")).one()
                record = dict(conn.execute(text(
                    "SELECT indicator_id, level FROM record_entries WHERE learner_id = 1 AND outcome = 'accepted'"
                )).all())
                kept = conn.execute(text("SELECT count(*) FROM assessments")).scalar_one()
            assert linked == ("active-listening-and-rapport", 1, "Record and review a listening conversation")
            assert record == {"COM.3": 2, "COM.4": 2, "COM.7": 1}
            assert kept == 1
            db.engine.dispose()
    finally:
        if postgres:
            postgres.drop(url)
