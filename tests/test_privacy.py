"""A learner downloads all their data; an admin erases an account by the documented rule."""

from __future__ import annotations

import io
import json
import zipfile

from lms.badges.models import BadgeAssertion
from lms.evidence.models import EvidenceFile, EvidenceVersion
from lms.extensions import db
from lms.models import AuditEvent, User

from .conftest import PASSWORD, login, submit
from .evidence_helpers import PDF, save_evidence
from .test_badges import earner, held  # noqa: F401  (fixtures: a learner holding the DSP badges)


def test_a_learner_downloads_all_their_data_without_assessor_names(app, earner):  # noqa: F811
    client, email = earner, "teacher@example.org"
    response = client.get("/my/data.zip")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    account = json.loads(archive.read("account.json"))
    assert account["email"] == email
    assert any(n.startswith("evidence/") and n.endswith("reflection.md") for n in names)
    statuses = [json.loads(archive.read(n)) for n in names if n.endswith("status.json")]
    decided = [s for s in statuses if s["final_assessment"]]
    assert decided and all(s["final_assessment"]["levels"] for s in decided)
    everything = b"".join(archive.read(n) for n in names)
    with app.app_context():
        assessor_names = {u.name for u in db.session.execute(db.select(User)).scalars() if u.has_role("assessor")}
    assert assessor_names and not any(name.encode() in everything for name in assessor_names)
    assert any(n.startswith("badges/") and n.endswith("-credential.json") for n in names)
    assert any(n.startswith("badges/") and n.endswith(".png") for n in names)
    assert "data.downloaded" in {e for e in _actions(app)}


def test_erasing_an_account_needs_the_typed_email_then_removes_identity_and_files(app, earner, admin_client):  # noqa: F811
    client, email = earner, "teacher@example.org"
    with app.app_context():
        person = db.session.execute(db.select(User).where(User.email == email)).scalar_one()
        uid = person.id
    # A file on a draft, so that there are bytes to delete.
    save_evidence(client, "questioning", files=[("plan.pdf", PDF)])
    with app.app_context():
        keys = list(db.session.execute(db.select(EvidenceFile.storage_key)).scalars())
        from lms.evidence.services import store
        paths = list(keys)
    assert paths and all(_exists(app, k) for k in paths)

    wrong = submit(admin_client, f"/admin/users/{uid}/erase", {"confirmation": "someone@else.org"})
    assert wrong.status_code == 400
    assert "type the email address of the account exactly" in wrong.get_data(as_text=True)
    assert 'value="someone@else.org"' in wrong.get_data(as_text=True)

    done = submit(admin_client, f"/admin/users/{uid}/erase", {"confirmation": email.upper()})
    assert done.status_code == 302
    with app.app_context():
        person = db.session.get(User, uid)
        assert person.name.startswith("Erased person ") and person.erased_at is not None
        assert email not in person.email and not person.active
        assert all(v.reflection == "" for v in db.session.execute(db.select(EvidenceVersion)).scalars())
        assert not db.session.execute(db.select(EvidenceFile)).first()
        badges = list(db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.user_id == uid)).scalars())
        assert badges and all(b.revocation_reason == "account erased" for b in badges)
        assert all(email not in b.recipient_email for b in badges)
        # What was decided stays, without identity: the assessments are still there for statistics.
        assert db.session.execute(db.text("SELECT count(*) FROM assessments")).scalar_one() > 0
    assert not any(_exists(app, k) for k in paths)
    assert login(app.test_client(), email, PASSWORD).status_code == 401
    trail = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "erased the account of Erased person" in trail and email not in trail


def test_only_admins_erase(app, learner, make_user):
    uid = make_user("other@example.org", "Other Person")
    assert learner.get(f"/admin/users/{uid}/erase").status_code == 403


def _actions(app):
    with app.app_context():
        return [e.action for e in db.session.execute(db.select(AuditEvent)).scalars()]


def test_evidence_files_go_after_the_retention_period_except_those_on_a_public_badge(app, earner):  # noqa: F811
    from datetime import timedelta

    from lms.evidence.services import store
    from lms.models import utcnow
    from lms.privacy.services import apply_retention, retention_cutoff

    save_evidence(earner, "questioning", files=[("plan.pdf", PDF)])
    with app.app_context():
        version = db.session.execute(db.select(EvidenceFile)).scalar_one().version
        key = version.files[0].storage_key
        assert apply_retention(utcnow(), 24) == 0  # recent activity: nothing goes
        db.session.execute(db.update(EvidenceVersion).values(updated_at=utcnow() - timedelta(days=800)))
        db.session.commit()
        # A file the earner shows on a public badge stays while the badge is public.
        badge = db.session.execute(db.select(BadgeAssertion)).scalars().first()
        badge.is_public, badge.shared_versions_json = True, json.dumps([version.id])
        db.session.commit()
        assert apply_retention(utcnow(), 24) == 0 and store().exists(key)
        badge.is_public = False
        db.session.commit()
        assert apply_retention(utcnow(), 24) == 1
        assert not store().exists(key)
        assert not db.session.execute(db.select(EvidenceFile)).first()
    assert str(retention_cutoff(utcnow().replace(year=2026, month=3, day=31), 1).date()) == "2026-02-28"


def _exists(app, key):
    from lms.evidence.services import store
    with app.app_context():
        return store().exists(key)


def test_a_cohort_learners_files_are_kept_until_months_after_the_cohort_ends(app, earner):  # noqa: F811
    from datetime import date, timedelta

    from lms.cohorts.models import Cohort, CohortLearner
    from lms.evidence.services import store
    from lms.models import User, utcnow
    from lms.privacy.services import apply_retention

    save_evidence(earner, "questioning", files=[("plan.pdf", PDF)])
    with app.app_context():
        key = db.session.execute(db.select(EvidenceFile.storage_key)).scalar_one()
        uid = db.session.execute(db.select(User.id).where(User.email == "teacher@example.org")).scalar_one()
        db.session.execute(db.update(EvidenceVersion).values(updated_at=utcnow() - timedelta(days=800)))
        cohort = Cohort(name="Intake 2024", starts_on=date(2024, 1, 8), ends_on=utcnow().date() - timedelta(days=30))
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortLearner(user_id=uid, cohort_id=cohort.id))
        db.session.commit()
        # Long inactive, but the cohort ended only a month ago: the file stays.
        assert apply_retention(utcnow(), 24) == 0 and store().exists(key)
        cohort.ends_on = utcnow().date() - timedelta(days=800)
        db.session.commit()
        assert apply_retention(utcnow(), 24) == 1 and not store().exists(key)
