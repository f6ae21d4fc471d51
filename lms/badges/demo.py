"""Demo badges beyond the demo learner's own: a second mentor whose badge was revoked, so that
`make run` shows (and verifiers can be shown) what a revoked badge looks like."""

from __future__ import annotations

import secrets
from datetime import timedelta

from ..extensions import db
from ..models import User, utcnow
from . import services
from .models import BadgeAssertion, BadgeStatusList

REVOKED_MENTOR = ("mentor.withdrawn@demo.example.org", "Anjali Seebaluck")
DEMO_AGE = timedelta(days=2)
REVOCATION_REASON = "Demo: withdrawn because the evidence turned out to be another teacher's work."


def seed_demo_badges(assessor: User, admin: User | None) -> None:
    """Sign any credential still unsigned; the first time, make the demo's badges two days old and
    add a second mentor whose badge was revoked (idempotent)."""
    services.sign_unsigned()
    email, name = REVOKED_MENTOR
    if db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none() is not None:
        return
    _issue_revoked_demo_badge(assessor, admin, email, name)


def _issue_revoked_demo_badge(assessor: User, admin: User | None, email: str, name: str) -> None:
    from ..assessment import services as assessment
    from ..auth import services as accounts
    from ..content_store import catalogue
    from ..cli import _demo_reflection
    from ..evidence import services as evidence

    mentor = accounts.create_user(email, name, secrets.token_urlsafe(12), "learner")
    proficient = catalogue().rubric.level_by_id("proficient").value
    for unit in (u for u in catalogue().task_units if u.domain_id == "PD"):
        saved = evidence.save_draft(mentor, unit.slug, evidence.DraftInput(
            reflection=_demo_reflection(unit, "accepted"), links_text="", expected_revision=0,
            checklist_ticked=unit.task.checklist), submit=True)
        version = assessment.claim(assessor, saved.version.id)
        assessment.decide(assessor, assessment.Decision(
            version.id, "accepted", "", tuple(assessment.IndicatorJudgement(i, proficient, "")
                                               for i in unit.task.indicator_ids)))
    revoked = db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.user_id == mentor.id,
                                                                 BadgeAssertion.badge_class_id == "DSP")
                                 ).scalar_one_or_none()
    backdate_demo_badges(DEMO_AGE)
    if revoked is not None:
        services.revoke(admin, revoked.public_id, REVOCATION_REASON)


def backdate_demo_badges(age: timedelta) -> None:
    """Make the demo's badges ``age`` old, as if earned earlier, and sign them again: a verifier whose
    clock runs behind can only accept a credential older than its lag, so fresh demo badges would
    not show that it does."""
    recent = list(db.session.execute(db.select(BadgeAssertion).where(
        BadgeAssertion.issued_at > utcnow() - timedelta(hours=1),
        BadgeAssertion.recipient_email.like("%@demo.example.org"))).scalars())
    if not recent:
        return
    for assertion in recent:
        assertion.issued_at -= age
        assertion.achieved_at -= age
        if assertion.expires_at is not None:
            assertion.expires_at -= age
    earliest = min(a.issued_at for a in recent)
    for row in db.session.execute(db.select(BadgeStatusList)).scalars():
        row.created_at = min(row.created_at, earliest)
    services.resign_all()
