"""Demo badges beyond the demo learner's own: a second mentor whose badge was revoked, so that
`make run` shows (and verifiers can be shown) what a revoked badge looks like; and endorsements of the
demo learner's DSP badge, one approved (embedded in the credential) and one still asked for; and a
third mentor whose expired DSP badge was renewed after new accepted evidence."""

from __future__ import annotations

import secrets
from datetime import timedelta

from ..domain.openbadges.ob3 import STATUS_LIST_BITS
from ..extensions import db
from ..models import User, utcnow
from . import services
from .models import BadgeAssertion, BadgeEndorsement, BadgeStatusList

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
        settle_accepted(assessor, saved.version.id, unit, proficient)
    revoked = db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.user_id == mentor.id,
                                                                 BadgeAssertion.badge_class_id == "DSP")
                                 ).scalar_one_or_none()
    backdate_demo_badges(DEMO_AGE)
    if revoked is not None:
        services.revoke(admin, revoked.public_id, REVOCATION_REASON)


def settle_accepted(assessor: User, version_id: int, unit, level: int) -> None:
    """Accept evidence through the real assessment code, deterministically: the demo assessor's first
    mark, and when it is routed to a second mark (he is not calibrated yet, or it was sampled), the
    second marker's agreeing mark, so the decision is final and its badges are issued."""
    from ..assessment.models import SECOND, MarkingCase
    from ..cli import _demo_mark, _demo_person

    _demo_mark(assessor, version_id, unit, "accepted", level)
    if db.session.get(MarkingCase, version_id, populate_existing=True).stage == SECOND:
        _demo_mark(_demo_person("second-marker@demo.example.org"), version_id, unit, "accepted", level)


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


ENDORSERS = (  # (email, name, role, organisation, statement): approved; then one still asked for
    ("hod.english@demo.example.org", "Devika Ramsamy", "Head of department", "Demo State Secondary School",
     "I watched Priya mentor our student educator through a whole term. She listened before she advised, "
     "gave feedback he could act on the next day, and let him make his own decisions about his lessons. "
     "By the end he was planning with confidence and asking for her view rather than waiting for it."),
)
PENDING_ENDORSER = ("mentee.ravi@demo.example.org", "Ravi")


def seed_demo_endorsements(learner: User | None) -> None:
    """The demo learner's DSP badge: an endorsement by a head of department, written through the emailed
    link and approved (so the credential carries it), and a request to her mentee still open (its
    email is in instance/mail/). Once only."""
    from . import endorsements
    from ..mail.models import OutboxMessage

    assertion = None if learner is None else db.session.execute(db.select(BadgeAssertion).where(
        BadgeAssertion.user_id == learner.id, BadgeAssertion.badge_class_id == "DSP",
        BadgeAssertion.revoked_at.is_(None))).scalar_one_or_none()
    if assertion is None or db.session.execute(db.select(BadgeEndorsement.id).where(
            BadgeEndorsement.assertion_id == assertion.id)).first():
        return
    for email, name, role, organisation, statement in ENDORSERS:
        row = endorsements.request_endorsement(learner, assertion.public_id, email, name)
        body = db.session.execute(db.select(OutboxMessage.body).where(OutboxMessage.to_address == email)
                                  .order_by(OutboxMessage.id.desc())).scalars().first()
        secret = body.split("/endorse/", 1)[1].split()[0]
        endorsements.submit(secret, endorsements.EndorsementInput(name, role, organisation, statement, True))
        # Written the day after the badge was issued, so that a verifier whose clock is behind accepts it.
        row = db.session.get(BadgeEndorsement, row.id)
        row.requested_at = assertion.issued_at + timedelta(hours=2)
        row.received_at = assertion.issued_at + timedelta(days=1)
        db.session.commit()
        endorsements.approve(learner, row.id)
    email, name = PENDING_ENDORSER
    endorsements.request_endorsement(learner, assertion.public_id, email, name)


RENEWED_MENTOR = ("mentor.renewed@demo.example.org", "Sanjay Bhujun")


def seed_renewed_badge(assessor: User) -> None:
    """A mentor whose DSP badge, earned over a year ago, expired; they renewed it: the evidence behind it
    was reopened, revised, and accepted again, and a new badge supersedes the old one. Once only."""
    from ..auth import services as accounts
    from ..cli import _demo_reflection
    from ..content_store import catalogue
    from ..evidence import services as evidence
    from . import renewal

    email, name = RENEWED_MENTOR
    if db.session.execute(db.select(User.id).where(User.email == email)).first() is not None:
        return
    mentor = accounts.create_user(email, name, secrets.token_urlsafe(12), "learner")
    proficient = catalogue().rubric.level_by_id("proficient").value
    units = [u for u in catalogue().task_units if u.domain_id == "PD"]
    for unit in units:
        saved = evidence.save_draft(mentor, unit.slug, evidence.DraftInput(
            reflection=_demo_reflection(unit, "accepted"), links_text="", expected_revision=0,
            checklist_ticked=unit.task.checklist), submit=True)
        settle_accepted(assessor, saved.version.id, unit, proficient)
    old = db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.user_id == mentor.id,
                                                             BadgeAssertion.badge_class_id == "DSP")).scalar_one()
    # Earned 400 days ago with a year's validity: expired 35 days ago.
    old.issued_at = old.achieved_at = utcnow() - timedelta(days=400)
    old.expires_at = utcnow() - timedelta(days=35)
    old.is_public = True
    services.start_status_list_by(old.id // STATUS_LIST_BITS, old.issued_at)
    services.sign_credential(old)
    db.session.commit()
    renewal.start(mentor, old.public_id)
    for unit in units:
        draft = evidence.submission_for(mentor, unit.slug).latest
        version = evidence.save_draft(mentor, unit.slug, evidence.DraftInput(
            reflection=_demo_reflection(unit, "accepted") + "\n\nRevised for renewal: what changed in my "
            "mentoring this year, with my new mentee's words.", links_text="", expected_revision=draft.revision,
            checklist_ticked=unit.task.checklist), submit=True).version
        settle_accepted(assessor, version.id, unit, proficient)
    new = db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.supersedes_id == old.id)
                             ).scalar_one_or_none()
    if new is not None:  # two days old, like the demo's other badges, so a lagging verifier clock accepts it
        new.issued_at -= DEMO_AGE
        new.achieved_at -= DEMO_AGE
        if new.expires_at is not None:
            new.expires_at -= DEMO_AGE
        services.sign_credential(new)
        db.session.commit()
