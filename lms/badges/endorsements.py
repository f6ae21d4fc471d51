"""Endorsements: people who know an earner's mentoring vouch for one of their badges.

The earner asks by email (a single-use, expiring link: an AccountToken with the purpose
"endorsement", the email written to the outbox in the same transaction); the endorser needs no
account: they write a short statement, say who they are and confirm. Nothing is public until the
earner approves it: then this issuer signs an OB 3.0 EndorsementCredential on the endorser's behalf,
and the badge's credential is signed again with it embedded. Withdrawing takes it off the public
page and out of the credential (signed again without it). Every step is in the audit trail.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from flask import current_app, url_for
from email_validator import EmailNotValidError, validate_email

from ..auth.accounts import LinkProblem, check_link, new_link, use_link
from ..auth.models import ENDORSEMENT, AccountToken
from ..auth.services import audit
from ..domain.openbadges import dataintegrity, ob3
from ..extensions import db
from ..mail.services import queue_template
from ..models import User, utcnow
from ..notifications.services import notify
from . import keys, services
from .models import APPROVED, RECEIVED, REQUESTED, WITHDRAWN, BadgeAssertion, BadgeEndorsement

STATEMENT_MAX = 1000  # characters: a short statement, read on the badge page and in wallets
NAME_MAX, ROLE_MAX, ORGANISATION_MAX = 120, 80, 120
OPEN_REQUESTS_MAX = 10  # per badge: enough to ask everyone who knows the work, not a mailing list
REACHED_BY = "through a single-use link that {issuer} emailed to them at the earner’s request"
SUGGESTED_ROLES = ("Mentee (student educator)", "Head of department", "School principal / rector",
                   "Fellow mentor", "Teacher educator")


class EndorsementError(Exception):
    """An endorsement step that cannot be done; the message says what to do."""


@dataclass(frozen=True)
class EndorsementInput:
    """What the endorser typed."""

    name: str
    role: str
    organisation: str
    statement: str
    confirmed: bool


def _valid_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise EndorsementError(f"That email address is not valid: {exc}") from None


def endorsements_of(assertion: BadgeAssertion, statuses: tuple[str, ...] | None = None) -> list[BadgeEndorsement]:
    """A badge's endorsements (optionally only in these states), oldest request first."""
    query = db.select(BadgeEndorsement).where(BadgeEndorsement.assertion_id == assertion.id)
    if statuses:
        query = query.where(BadgeEndorsement.status.in_(statuses))
    return list(db.session.execute(query.order_by(BadgeEndorsement.requested_at, BadgeEndorsement.id)).scalars())


def _own_endorsement(user: User, endorsement_id: int) -> BadgeEndorsement:
    endorsement = db.session.get(BadgeEndorsement, endorsement_id)
    if endorsement is None or endorsement.assertion.user_id != user.id:
        raise LookupError(endorsement_id)
    return endorsement


def _usable(assertion: BadgeAssertion) -> None:
    if assertion.revoked_at is not None:
        raise EndorsementError("This badge was revoked: it cannot be endorsed.")
    if getattr(assertion, "superseded_at", None) is not None:
        raise EndorsementError("A newer badge replaces this one: ask for endorsements of the new one.")


# --- the earner asks ---------------------------------------------------------------------------------------

def request_endorsement(user: User, public_id: str, email: str, name: str) -> BadgeEndorsement:
    """Email ``email`` a single-use link to endorse the user's badge; the link, the email and the
    audit event are written in one transaction."""
    assertion = services.own_assertion(user, public_id)
    _usable(assertion)
    email = _valid_email(email)
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise EndorsementError(f"Give the name of the person you are asking (at most {NAME_MAX} characters).")
    if email == user.email:
        raise EndorsementError("You cannot endorse your own badge: ask someone who knows your mentoring.")
    open_requests = endorsements_of(assertion, (REQUESTED,))
    if any(e.endorser_email == email and e.token is not None and e.token.expires_at > utcnow() for e in open_requests):
        raise EndorsementError(f"You have already asked {email}; their link is still open.")
    if len(open_requests) >= OPEN_REQUESTS_MAX:
        raise EndorsementError(f"You have {OPEN_REQUESTS_MAX} requests waiting for an answer; withdraw some first.")
    endorsement = BadgeEndorsement(public_id=str(uuid.uuid4()), assertion_id=assertion.id, status=REQUESTED,
                                   endorser_email=email, endorser_name=name, requested_at=utcnow())
    token, url = new_link(ENDORSEMENT, "badges.endorse", user_id=user.id, email=email, name=name)
    db.session.flush()
    endorsement.token_id = token.id
    db.session.add(endorsement)
    badge = services.badge_def(assertion)
    queue_template(email, "endorsement_request", "endorsement", user_id=user.id, earner=user, badge=badge,
                   endorser_name=name, url=url, days=current_app.config["ENDORSEMENT_LINK_DAYS"],
                   limit=STATEMENT_MAX, issuer=current_app.config["ISSUER_NAME"])
    db.session.flush()
    audit(user, "badge.endorsement_requested", f"badge_assertion:{assertion.public_id}", learner_id=user.id,
          badge=badge.id, badge_name=badge.name, endorser=name)
    db.session.commit()
    return endorsement


# --- the endorser writes ----------------------------------------------------------------------------------

def open_link(secret: str) -> BadgeEndorsement:
    """The request behind an endorsement link; LinkProblem when it is unknown, used, expired or withdrawn."""
    token = check_link(secret, ENDORSEMENT)
    endorsement = db.session.execute(db.select(BadgeEndorsement).where(BadgeEndorsement.token_id == token.id)
                                     ).scalar_one_or_none()
    if endorsement is None or endorsement.status != REQUESTED:
        raise LinkProblem("This request to endorse was withdrawn by the person who sent it.", 410)
    if endorsement.assertion.revoked_at is not None:
        raise LinkProblem("This badge was revoked, so it can no longer be endorsed.", 410)
    return endorsement


def check_input(data: EndorsementInput) -> list[str]:
    """What is missing or too long, in words (empty when the endorsement can be saved)."""
    problems = []
    if not data.statement.strip():
        problems.append("Write your statement.")
    elif len(data.statement.strip()) > STATEMENT_MAX:
        problems.append(f"Your statement has {len(data.statement.strip()):,} characters; keep it to {STATEMENT_MAX:,} "
                        f"(your text is still in the box).")
    if not data.name.strip() or len(data.name.strip()) > NAME_MAX:
        problems.append(f"Give your name (at most {NAME_MAX} characters).")
    if not data.role.strip() or len(data.role.strip()) > ROLE_MAX:
        problems.append(f"Say how you know the mentor's work, e.g. head of department (at most {ROLE_MAX} characters).")
    if len(data.organisation.strip()) > ORGANISATION_MAX:
        problems.append(f"Keep the school or organisation to {ORGANISATION_MAX} characters.")
    if not data.confirmed:
        problems.append("Tick the box to confirm that the statement is yours.")
    return problems


def submit(secret: str, data: EndorsementInput) -> BadgeEndorsement:
    """Record the endorser's statement as written and spend the link; the earner is told and decides."""
    endorsement = open_link(secret)
    problems = check_input(data)
    if problems:
        raise EndorsementError(" ".join(problems))
    use_link(endorsement_token(endorsement))
    endorsement.status = RECEIVED
    endorsement.endorser_name = " ".join(data.name.split())
    endorsement.endorser_role = " ".join(data.role.split())
    endorsement.endorser_organisation = " ".join(data.organisation.split())
    endorsement.statement = data.statement.strip()
    endorsement.received_at = utcnow()
    assertion = endorsement.assertion
    badge = services.badge_def(assertion)
    audit(None, "badge.endorsed", f"badge_assertion:{assertion.public_id}", learner_id=assertion.user_id,
          badge=badge.id, badge_name=badge.name, endorser=endorsement.endorser_name,
          role=endorsement.endorser_role)
    notify(assertion.user_id, f"{endorsement.endorser_name} endorsed your badge “{badge.name}”. It is shown "
                              f"only once you approve it.", url_for("badges.mine") + f"#badge-{assertion.public_id}",
           email_kind="badges")
    db.session.commit()
    return endorsement


def endorsement_token(endorsement: BadgeEndorsement) -> AccountToken | None:
    """The link an endorsement was asked for with (gone once spent links are tidied away)."""
    return endorsement.token


# --- the earner decides ----------------------------------------------------------------------------------

def _sign(endorsement: BadgeEndorsement) -> None:
    """Sign the EndorsementCredential. Its subject is the achievement, which the credential describes:
    not the credential itself, whose own node would then be described again inside it (an RDF merge
    makes the credential an EndorsementSubject, and openbadgeslib refuses that). Its name and
    description say whose badge it is about and who wrote it."""
    assertion = endorsement.assertion
    badge = services.badge_def(assertion)
    info = services.issuer_info()
    unsigned = ob3.endorsement_credential(
        f"urn:uuid:{endorsement.public_id}", issuer_did=keys.issuer_did(), issuer=info,
        subject_id=services.achievement_id(badge), badge_name=badge.name, earner_name=assertion.user.name,
        endorser=ob3.Endorser(endorsement.endorser_name, endorsement.endorser_role,
                              endorsement.endorser_organisation),
        comment=endorsement.statement, written_at=endorsement.received_at,
        reached_by=REACHED_BY.format(issuer=info.name))
    signed = dataintegrity.sign(unsigned, keys.issuer_key(), keys.verification_method(), created=utcnow())
    endorsement.credential_json = json.dumps(signed, ensure_ascii=False, separators=(",", ":"))


def approve(user: User, endorsement_id: int) -> BadgeEndorsement:
    """The earner's consent: sign the endorsement, embed it, sign the badge's credential again."""
    endorsement = _own_endorsement(user, endorsement_id)
    if endorsement.status == APPROVED:
        return endorsement
    if endorsement.status != RECEIVED:
        raise EndorsementError("Only an endorsement that has been written can be approved.")
    assertion = endorsement.assertion
    _usable(assertion)
    services.require_base_url()
    done = db.session.execute(db.update(BadgeEndorsement).where(
        BadgeEndorsement.id == endorsement.id, BadgeEndorsement.status == RECEIVED)
        .values(status=APPROVED, approved_at=utcnow())).rowcount
    if done != 1:  # approved or withdrawn a moment ago in another window
        db.session.rollback()
        raise EndorsementError("This endorsement was changed in another window; see it as it is now.")
    db.session.refresh(endorsement)
    _sign(endorsement)
    db.session.flush()
    services.credential_changed(assertion)
    badge = services.badge_def(assertion)
    audit(user, "badge.endorsement_approved", f"badge_assertion:{assertion.public_id}", learner_id=user.id,
          badge=badge.id, badge_name=badge.name, endorser=endorsement.endorser_name)
    db.session.commit()
    return endorsement


def withdraw(user: User, endorsement_id: int) -> BadgeEndorsement:
    """Take an endorsement back at any point: a request's link stops working; an approved one leaves the
    public page and the credential, which is signed again without it."""
    endorsement = _own_endorsement(user, endorsement_id)
    if endorsement.status == WITHDRAWN:
        return endorsement
    was = endorsement.status
    done = db.session.execute(db.update(BadgeEndorsement).where(
        BadgeEndorsement.id == endorsement.id, BadgeEndorsement.status == was)
        .values(status=WITHDRAWN, withdrawn_at=utcnow())).rowcount
    if done != 1:
        db.session.rollback()
        raise EndorsementError("This endorsement was changed in another window; see it as it is now.")
    db.session.refresh(endorsement)
    token = endorsement.token
    if token is not None and token.used_at is None:
        token.used_at = utcnow()  # the emailed link stops working
    assertion = endorsement.assertion
    if was == APPROVED and assertion.revoked_at is None:
        services.credential_changed(assertion)
    badge = services.badge_def(assertion)
    audit(user, "badge.endorsement_withdrawn", f"badge_assertion:{assertion.public_id}", learner_id=user.id,
          badge=badge.id, badge_name=badge.name, endorser=endorsement.endorser_name, was=was)
    db.session.commit()
    return endorsement


def forget_endorsements(user_id: int) -> None:
    """Delete the endorsements of this person's badges (erasure: they name and quote other people)."""
    db.session.execute(db.delete(BadgeEndorsement).where(BadgeEndorsement.assertion_id.in_(
        db.select(BadgeAssertion.id).where(BadgeAssertion.user_id == user_id))))



def resign_approved() -> None:
    """Sign every approved endorsement again (a key rotation or a new issuer profile; the caller then
    signs the badges' credentials, which embed them)."""
    for endorsement in db.session.execute(db.select(BadgeEndorsement).where(BadgeEndorsement.status == APPROVED)
                                          .order_by(BadgeEndorsement.id)).scalars():
        _sign(endorsement)
