"""Fill a database with a programme at scale, with the app's own models and bulk inserts.

10,000 learners, 100,000 evidence versions (34,553 waiting for assessment) and 5,000 badges by
default. Rows are inserted in batches with SQLAlchemy Core (no ORM objects, no password hashing
per learner: every bench account shares one hash), so the whole set takes a minute or two.
"""

from __future__ import annotations

import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from lms.assessment.models import FINAL, FIRST, Assessment, IndicatorScore, Mark, MarkingCase, MarkLevel
from lms.auth.passwords import hash_password
from lms.badges.models import BadgeAssertion
from lms.content_store import catalogue
from lms.evidence.models import EvidenceVersion, Submission
from lms.extensions import db
from lms.models import UnitProgress, User, UserRole, utcnow
from lms.record.models import RecordEntry

BATCH = 5_000
PASSWORD = "bench password 1"


@dataclass(frozen=True)
class Scale:
    """How big the programme is."""

    learners: int = 10_000
    versions: int = 100_000
    waiting: int = 34_553
    badges: int = 5_000


def _insert(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(db.insert(table), rows[start:start + BATCH])


def _next_id(model) -> int:
    return (db.session.execute(db.select(db.func.max(model.id))).scalar() or 0) + 1


def sign_badges(ids: list[int]) -> int:
    """Sign these badges through the app's own issuing code (stored credential, baked images), as
    issuing does; needs PUBLIC_BASE_URL. Returns how many were signed."""
    from flask import current_app

    from lms.badges.services import sign_credential
    if not ids or not current_app.config.get("PUBLIC_BASE_URL"):
        return 0
    with current_app.test_request_context():
        for assertion in db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.id.in_(ids))).scalars():
            sign_credential(assertion)
        db.session.commit()
    return len(ids)


def seed(scale: Scale = Scale(), seed_value: int = 7, sign: int = 100) -> dict:
    """Insert the data set; returns the ids the benchmark requests (one learner, one assessor, badges).

    Every submitted version has its marking case, every decision its mark and record entries; the
    first ``sign`` badges (the one requested among them) are signed and baked as issuing does."""
    rng = random.Random(seed_value)
    cat = catalogue()
    units = [u for u in cat.units if getattr(u, "task", None) is not None]
    password_hash = hash_password(PASSWORD)
    now = utcnow()
    start_id = _next_id(User)

    users = [{"id": start_id + i, "email": f"learner{i}@bench.example.org", "name": f"Learner {i}",
              "password_hash": password_hash, "created_at": now - timedelta(days=200)}
             for i in range(scale.learners)]
    assessor_id = start_id + scale.learners
    users.append({"id": assessor_id, "email": "assessor@bench.example.org", "name": "Bench Assessor",
                  "password_hash": password_hash, "created_at": now - timedelta(days=200)})
    _insert(User.__table__, users)
    _insert(UserRole.__table__, [{"user_id": u["id"], "role": "learner"} for u in users[:-1]]
            + [{"user_id": assessor_id, "role": "assessor"}])

    # Spread the versions over learners: each learner works on a run of units, some revised.
    submissions, versions, assessments, scores, progress = [], [], [], [], []
    per_learner = scale.versions / scale.learners
    # Ids follow whatever the database holds already (the statement-count test grows the demo with this).
    version_id, submission_id = _next_id(EvidenceVersion) - 1, _next_id(Submission) - 1
    assessment_id, mark_id, badge_id = _next_id(Assessment) - 1, _next_id(Mark) - 1, _next_id(BadgeAssertion) - 1
    cases, marks, mark_levels, record = [], [], [], []
    waiting_left = scale.waiting
    decided_left = scale.versions - scale.waiting
    accepted_by_learner: dict[int, list[str]] = {}
    for index, user in enumerate(users[:-1]):
        want = int(per_learner * (index + 1)) - int(per_learner * index)
        chosen = rng.sample(units, k=min(len(units), max(1, want)))  # enough units for every version wanted
        made = 0
        for unit in chosen:
            if made >= want:
                break
            submission_id += 1
            submitted = now - timedelta(days=rng.randint(1, 180), minutes=rng.randint(0, 1440))
            submissions.append({"id": submission_id, "learner_id": user["id"], "unit_slug": unit.slug,
                                "created_at": submitted})
            progress.append({"user_id": user["id"], "unit_slug": unit.slug, "completed_at": submitted})
            number = 0
            while made < want:
                number += 1
                version_id += 1
                made += 1
                last = made >= want or rng.random() < 0.6
                if last and waiting_left > 0 and (decided_left == 0 or rng.random() < scale.waiting / scale.versions * 1.6):
                    status, waiting_left = "submitted", waiting_left - 1
                elif decided_left > 0:
                    status = "accepted" if last else "not_yet"
                    decided_left -= 1
                else:
                    status, waiting_left = "submitted", waiting_left - 1
                when = submitted + timedelta(days=number * 7)
                versions.append({"id": version_id, "submission_id": submission_id, "number": number,
                                 "status": status, "reflection": "A bench reflection. " * 40, "links_json": "[]",
                                 "revision": 2, "created_at": when, "updated_at": when, "submitted_at": when})
                # Every submitted version has its marking case (the queue reads only these): waiting for
                # a first mark, or final with the one mark that decided it.
                decided = status in ("accepted", "not_yet")
                cases.append({"version_id": version_id, "code": f"MC-B{version_id:08d}", "learner_id": user["id"],
                              "unit_slug": unit.slug, "submitted_at": when, "stage": FINAL if decided else FIRST,
                              "sampled": False, "second_reasons": "", "moderation_reason": "",
                              "first_marker_id": assessor_id if decided else None,
                              "finalised_at": when + timedelta(days=2) if decided else None})
                if decided:
                    mark_id += 1
                    marks.append({"id": mark_id, "version_id": version_id, "assessor_id": assessor_id, "seq": 1,
                                  "outcome": status, "feedback": "Bench feedback.",
                                  "marked_at": when + timedelta(days=2)})
                    level = 2 if status == "accepted" else 1
                    mark_levels.extend({"mark_id": mark_id, "indicator_id": i, "level": level, "comment": ""}
                                       for i in unit.task.indicator_ids)
                    record.extend({"learner_id": user["id"], "version_id": version_id, "indicator_id": i,
                                   "level": level, "outcome": status, "decided_at": when + timedelta(days=2)}
                                  for i in unit.task.indicator_ids)
                if status in ("accepted", "not_yet"):
                    assessment_id += 1
                    assessments.append({"id": assessment_id, "version_id": version_id, "assessor_id": assessor_id,
                                        "outcome": status, "feedback": "Bench feedback.",
                                        "decided_at": when + timedelta(days=2)})
                    level = 2 if status == "accepted" else 1
                    scores.extend({"assessment_id": assessment_id, "indicator_id": i, "level": level, "comment": ""}
                                  for i in unit.task.indicator_ids)
                    if status == "accepted":
                        accepted_by_learner.setdefault(user["id"], []).append(unit.slug)
                if status != "not_yet":
                    break
    _insert(Submission.__table__, submissions)
    _insert(EvidenceVersion.__table__, versions)
    _insert(Assessment.__table__, assessments)
    _insert(IndicatorScore.__table__, scores)
    _insert(UnitProgress.__table__, progress)
    _insert(MarkingCase.__table__, cases)
    _insert(Mark.__table__, marks)
    _insert(MarkLevel.__table__, mark_levels)
    _insert(RecordEntry.__table__, record)

    badge_ids = [b.id for b in cat.badge_classes if b.kind == "competency"]
    badges = []
    for n in range(scale.badges):
        user = users[n % len(users[:-1])]
        badge = badge_ids[(n // len(users[:-1])) % len(badge_ids)]
        badges.append({"id": badge_id + n + 1, "public_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                       "user_id": user["id"], "badge_class_id": badge, "recipient_email": user["email"],
                       "salt": secrets.token_hex(16), "achieved_at": now - timedelta(days=30),
                       "issued_at": now - timedelta(days=30), "is_public": True, "shared_versions_json": "[]",
                       "revocation_reason": ""})
    _insert(BadgeAssertion.__table__, badges)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for table in ("users", "submissions", "evidence_versions", "assessments", "indicator_scores",
                      "badge_assertions", "unit_progress", "marks", "mark_levels", "record_entries"):
            db.session.execute(db.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
    signed = sign_badges([b["id"] for b in badges[:sign]])
    learner = users[0]
    return {"signed": signed, "learner_email": learner["email"], "assessor_email": "assessor@bench.example.org",
            "password": PASSWORD, "badge_public_id": badges[0]["public_id"], "unit_slug": units[0].slug,
            "counts": {"learners": scale.learners, "versions": len(versions),
                       "waiting": sum(1 for v in versions if v["status"] == "submitted"), "badges": len(badges)}}
