"""Renewing an expired badge and reissuing a revoked one, after new accepted evidence.

The earner asks (or a lead assessor or an admin starts it, with a reason); the accepted evidence
behind the badge is reopened through the assessment workflow's own reopening
(lms.evidence.services.reopen). When every reopened piece has a later version accepted and the
achievement still holds, a new assertion is issued that names the one it supersedes; the old one is
marked superseded and keeps its whole record. A partial unique index allows at most one live
(neither revoked nor superseded) badge per person and badge class.

How a superseded badge verifies: it is still what it was. Its signed credential and hosted
assertion are unchanged and not revoked, so a verifier calls it valid until it expires (an expired
one is expired, a revoked one revoked); our own /verify adds that a newer badge replaces it, and its
public page links to the new one.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy.exc import IntegrityError

from ..auth.services import audit
from ..content_store import catalogue
from ..evidence import services as evidence
from ..evidence.models import ACCEPTED, EvidenceVersion, Submission
from ..extensions import db
from ..models import User, utcnow
from ..notifications.services import notify
from ..record.services import learner_profile
from . import services
from .models import BadgeAssertion, BadgeRenewal

RENEWERS = ("lead_assessor", "admin")  # who may start a renewal for someone else


class RenewalError(Exception):
    """A renewal that cannot be started; the message says why."""


def successor_of(assertion: BadgeAssertion) -> BadgeAssertion | None:
    """The badge that superseded this one, if any."""
    return db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.supersedes_id == assertion.id)
                              ).scalar_one_or_none()


def history_of(assertion: BadgeAssertion) -> list[BadgeAssertion]:
    """Every badge in this one's line, newest first: its successors, itself, then those it superseded."""
    line = [assertion]
    newer = successor_of(assertion)
    while newer is not None:
        line.insert(0, newer)
        newer = successor_of(newer)
    older = assertion.supersedes
    while older is not None:
        line.append(older)
        older = older.supersedes
    return line


def open_renewal(assertion: BadgeAssertion) -> BadgeRenewal | None:
    """The renewal of this badge under way, if any."""
    return db.session.execute(db.select(BadgeRenewal).where(BadgeRenewal.assertion_id == assertion.id,
                                                            BadgeRenewal.completed_at.is_(None))
                              ).scalar_one_or_none()


def renewable(assertion: BadgeAssertion) -> bool:
    """Expired or revoked, not yet superseded, no renewal under way, the account not erased."""
    return (assertion.status() in ("expired", "revoked") and assertion.superseded_at is None
            and assertion.user.erased_at is None
            and db.session.execute(db.select(BadgeRenewal.id).where(
                BadgeRenewal.assertion_id == assertion.id)).first() is None)


def _pieces(assertion: BadgeAssertion) -> list[EvidenceVersion]:
    """The latest accepted version of each submission behind the badge."""
    latest: dict[int, EvidenceVersion] = {}
    for version in services.shareable_versions(assertion):
        if version.submission_id not in latest or version.number > latest[version.submission_id].number:
            latest[version.submission_id] = version
    return sorted(latest.values(), key=lambda v: v.submission_id)


def start(actor: User, public_id: str, reason: str = "") -> BadgeRenewal:
    """Start renewing (expired) or reissuing (revoked) a badge: its evidence reopens for revision."""
    assertion = services.assertion_by_public_id(public_id)
    if assertion is None or (assertion.user_id != actor.id and not actor.has_role(*RENEWERS)):
        raise LookupError(public_id)
    if not renewable(assertion):
        raise RenewalError("Only an expired or revoked badge that has not been renewed can be renewed.")
    badge = services.badge_def(assertion)
    state = assertion.status()
    own = assertion.user_id == actor.id
    reason = " ".join((reason or "").split())
    if not own and not reason:
        raise RenewalError("Give a reason: the mentor reads it with each piece of reopened evidence.")
    words = "renew" if state == "expired" else "reissue"
    why = (f"To {words} your badge “{badge.name}” ({state}), revise and resubmit this evidence; once it is "
           f"accepted again, a new badge replaces the old one." + (f" {reason}" if reason else ""))
    pieces = _pieces(assertion)
    if not pieces:
        raise RenewalError("There is no accepted evidence behind this badge to reopen.")
    recorded = []
    for version in pieces:
        latest = version.submission.latest
        if latest.id == version.id:
            evidence.reopen(version.id, actor=actor, reason=why)
        # else: a newer version is already open or waiting: its acceptance will count
        recorded.append([version.submission_id, version.number])
    renewal = BadgeRenewal(assertion_id=assertion.id, user_id=assertion.user_id, started_by_id=actor.id,
                           reason=reason, started_at=utcnow(), versions_json=json.dumps(recorded))
    try:
        with db.session.begin_nested():
            db.session.add(renewal)
    except IntegrityError:  # started a moment ago in another window
        db.session.rollback()
        raise RenewalError("A renewal of this badge is already under way.") from None
    audit(actor, "badge.renewal_started", f"badge_assertion:{assertion.public_id}", learner_id=assertion.user_id,
          badge=badge.id, badge_name=badge.name, was=state, reason=reason)
    if not own:
        notify(assertion.user_id, f"A renewal of your badge “{badge.name}” was started: revise and resubmit the "
                                  f"reopened evidence. {reason}", url_for("badges.mine"), email_kind="badges")
    db.session.commit()
    return renewal


def pieces_status(renewal: BadgeRenewal) -> list[tuple[Submission, bool]]:
    """Each reopened submission, and whether a later version of it has been accepted."""
    result = []
    for submission_id, number in renewal.pieces:
        submission = db.session.get(Submission, submission_id)
        if submission is None:
            continue
        again = db.session.execute(db.select(EvidenceVersion.id).where(
            EvidenceVersion.submission_id == submission_id, EvidenceVersion.number > number,
            EvidenceVersion.status == ACCEPTED)).first() is not None
        result.append((submission, again))
    return result


def complete_renewals(learner_id: int) -> list[BadgeAssertion]:
    """Issue the new badge of every renewal whose evidence has all been accepted again (called on each
    accepted final decision, inside its transaction)."""
    renewals = list(db.session.execute(db.select(BadgeRenewal).where(
        BadgeRenewal.user_id == learner_id, BadgeRenewal.completed_at.is_(None))).scalars())
    if not renewals:
        return []
    cat = catalogue()
    achieved = {badge.id for badge in (cat.badge_class_for(kind, target)
                                       for kind, target, _ in learner_profile(learner_id).achievements) if badge}
    issued = []
    for renewal in renewals:
        old = renewal.assertion
        if old.badge_class_id not in achieved or not all(again for _, again in pieces_status(renewal)):
            continue
        new = _supersede(old)
        if new is None:
            continue
        renewal.completed_at, renewal.new_assertion_id = utcnow(), new.id
        issued.append(new)
    return issued


def _supersede(old: BadgeAssertion) -> BadgeAssertion | None:
    """Mark ``old`` superseded and issue its successor, in a savepoint; None if a concurrent decision did."""
    now = utcnow()
    validity = current_app.config.get("BADGE_VALIDITY_DAYS")
    learner = old.user
    new = BadgeAssertion(
        public_id=str(uuid.uuid4()), user_id=old.user_id, badge_class_id=old.badge_class_id,
        recipient_email=learner.email, salt=secrets.token_hex(16), achieved_at=now, issued_at=now,
        expires_at=now + timedelta(days=int(validity)) if validity else None, is_public=old.is_public,
        supersedes_id=old.id)
    try:
        with db.session.begin_nested():
            marked = db.session.execute(db.update(BadgeAssertion).where(
                BadgeAssertion.id == old.id, BadgeAssertion.superseded_at.is_(None)).values(superseded_at=now)).rowcount
            if marked != 1:
                raise IntegrityError("superseded already", None, Exception())
            db.session.add(new)
            db.session.flush()
    except IntegrityError:
        return None
    db.session.refresh(old)
    badge = services.badge_def(new)
    what = "renewed" if old.revoked_at is None else "reissued"
    audit(None, "badge.renewed", f"badge_assertion:{new.public_id}", learner_id=new.user_id, badge=badge.id,
          badge_name=badge.name, supersedes=old.public_id, how=what)
    notify(new.user_id, f"Your badge “{badge.name}” is {what}: a new badge replaces the one issued on "
                        f"{old.issued_at:%d %B %Y}.", url_for("badges.mine"), email_kind="badges")
    if current_app.config.get("PUBLIC_BASE_URL"):
        services.sign_credential(new)
    return new
