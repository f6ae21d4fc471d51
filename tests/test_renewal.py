"""Renewing expired badges and reissuing revoked ones after new accepted evidence: a new assertion that
points to the old, history kept, at most one live badge per person and badge class."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from lms.assessment import services as assessment
from lms.badges import services as badges
from lms.badges.models import BadgeAssertion, BadgeRenewal
from lms.content_store import catalogue
from lms.evidence import services as evidence
from lms.evidence.models import DRAFT
from lms.extensions import db
from lms.models import AuditEvent, User, UserRole, utcnow

from .conftest import login, submit
from .evidence_helpers import REFLECTION
from .test_badges import PD_UNITS, earner, held  # noqa: F401 - the fixture


def expire(app, badge_class="DSP"):
    """Make the earner's badge of this class expired yesterday (signed again, as it would have been issued)."""
    with app.test_request_context():
        assertion = db.session.execute(db.select(BadgeAssertion).where(
            BadgeAssertion.badge_class_id == badge_class)).scalar_one()
        assertion.issued_at = assertion.achieved_at = utcnow() - timedelta(days=400)
        assertion.expires_at = utcnow() - timedelta(days=1)
        badges.sign_credential(assertion)
        db.session.commit()
        return assertion.public_id


def resubmit_and_accept(app, email="teacher@example.org", slugs=PD_UNITS):
    """The learner revises each reopened draft and submits it; an assessor accepts it."""
    with app.test_request_context():
        learner = db.session.execute(db.select(User).where(User.email == email)).scalar_one()
        assessor = db.session.execute(db.select(User).join(UserRole).where(UserRole.role == "assessor")).scalars().first()
        for slug in slugs:
            draft = evidence.submission_for(learner, slug).latest
            assert draft.status == DRAFT
            version = evidence.save_draft(learner, slug, evidence.DraftInput(
                f"{REFLECTION} Revised for renewal: {slug}.", "", draft.revision), submit=True).version
            unit = catalogue().unit(slug)
            assessment.decide(assessor, assessment.Decision(
                version.id, "accepted", "", tuple(assessment.IndicatorJudgement(i, 2) for i in unit.task.indicator_ids)))


def dsp_badges(app) -> list[BadgeAssertion]:
    with app.app_context():
        return list(db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.badge_class_id == "DSP")
                                       .order_by(BadgeAssertion.id)).scalars())


def test_an_expired_badge_is_renewed_after_new_accepted_evidence(app, earner):
    old_id = expire(app)
    page = earner.get("/my/badges").get_data(as_text=True)
    assert "Renew this badge" in page
    assert earner.get(f"/my/badges/{old_id}/renew").status_code == 405  # no change on a GET
    assert submit(earner, "/my/badges", {}, action=f"/my/badges/{old_id}/renew").status_code == 302
    with app.app_context():  # the evidence behind it reopened as new drafts; nothing issued yet
        learner = db.session.execute(db.select(User).where(User.email == "teacher@example.org")).scalar_one()
        assert all(evidence.submission_for(learner, slug).latest.status == DRAFT for slug in PD_UNITS)
    assert len(dsp_badges(app)) == 1
    assert "Renewal under way" in earner.get("/my/badges").get_data(as_text=True)

    resubmit_and_accept(app, slugs=PD_UNITS[:2])
    assert len(dsp_badges(app)) == 1  # not until every piece is accepted again
    resubmit_and_accept(app, slugs=PD_UNITS[2:])
    old, new = dsp_badges(app)
    assert new.supersedes_id == old.id and old.superseded_at is not None and new.superseded_at is None
    assert new.status() == "valid" and old.status() == "expired" and new.credential_json
    with app.app_context():
        renewal = db.session.execute(db.select(BadgeRenewal)).scalar_one()
        assert renewal.completed_at is not None and renewal.new_assertion_id == new.id
        actions = db.session.execute(db.select(AuditEvent.action).where(AuditEvent.action.like("badge.renew%"))
                                     .order_by(AuditEvent.id)).scalars().all()
        assert actions == ["badge.renewal_started", "badge.renewed"]

    page = earner.get("/my/badges").get_data(as_text=True)  # history kept and shown
    assert "Renews" in page and "Replaced on" in page and "Renew this badge" not in page
    anyone = app.test_client()
    with app.test_request_context():  # the old one verifies as what it was, and names its successor
        result = badges.verify(anyone.get(f"/badges/credentials/{old.public_id}.json").data)
        assert result.status == "expired" and "newer badge replaces it" in result.summary()
        assert badges.verify(anyone.get(f"/badges/credentials/{new.public_id}.json").data).status == "valid"


def test_a_revoked_badge_is_reissued_when_a_lead_assessor_reopens_it(app, earner, make_user):
    old_id = held(app)["DSP"]
    with app.test_request_context():
        badges.revoke(None, old_id, "Evidence in question")
    make_user("lead@example.org", "Lena Lead", ("assessor", "lead_assessor"))
    lead = app.test_client()
    login(lead, "lead@example.org")
    refused = submit(lead, "/my/badges", {"reason": ""}, action=f"/admin/badges/{old_id}/renew")
    assert refused.status_code == 302 and len(dsp_badges(app)) == 1
    with app.app_context():
        assert db.session.execute(db.select(BadgeRenewal)).first() is None  # a reason is required
    submit(lead, "/my/badges", {"reason": "The panel asked for fresh evidence."}, action=f"/admin/badges/{old_id}/renew")
    resubmit_and_accept(app)
    old, new = dsp_badges(app)
    assert new.supersedes_id == old.id and old.status() == "revoked"
    anyone = app.test_client()
    with app.test_request_context():
        assert badges.verify(anyone.get(f"/badges/assertions/{old.public_id}").data).status == "revoked"
        assert badges.verify(anyone.get(f"/badges/credentials/{new.public_id}.png").data).status == "valid"
    assert anyone.get(f"/badges/assertions/{old.public_id}").status_code == 410


def test_the_partial_unique_index_refuses_a_second_live_badge(app, earner):
    with app.app_context():
        first = db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.badge_class_id == "DSP")).scalar_one()

        def another(**values):
            return BadgeAssertion(public_id=f"00000000-0000-4000-8000-{len(values):012d}", user_id=first.user_id,
                                  badge_class_id="DSP", recipient_email=first.recipient_email, salt="00",
                                  achieved_at=utcnow(), issued_at=utcnow(), **values)

        db.session.add(another())
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        db.session.add(another(revoked_at=utcnow()))  # a revoked one beside the live one is allowed
        db.session.flush()
        first.superseded_at = utcnow()  # and once the first is superseded, a new live one
        db.session.add(another(supersedes_id=first.id, is_public=False))
        db.session.commit()
        live = db.session.execute(db.select(db.func.count()).select_from(BadgeAssertion).where(
            BadgeAssertion.badge_class_id == "DSP", BadgeAssertion.revoked_at.is_(None),
            BadgeAssertion.superseded_at.is_(None))).scalar_one()
        assert live == 1


def test_only_expired_or_revoked_badges_of_ones_own_are_renewed(app, earner, make_user):
    valid_id = held(app)["DSP"]
    submit(earner, "/my/badges", {}, action=f"/my/badges/{valid_id}/renew")
    with app.app_context():
        assert db.session.execute(db.select(BadgeRenewal)).first() is None
    expired_id = expire(app)
    make_user("other@example.org", "Other Person")
    other = app.test_client()
    login(other, "other@example.org")
    assert submit(other, "/my/badges", {}, action=f"/my/badges/{expired_id}/renew").status_code == 404
    assert submit(other, "/my/badges", {"reason": "x"}, action=f"/admin/badges/{expired_id}/renew").status_code == 403
    with app.app_context():
        assert db.session.execute(db.select(BadgeRenewal)).first() is None
    assert json.loads(app.test_client().get(f"/badges/credentials/{expired_id}.json").data)["validUntil"]
