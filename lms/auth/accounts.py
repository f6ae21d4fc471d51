"""Account flows that go through email: invitations, password resets, registration with a confirmed
address, changing one's password or email address.

Every link is single-use and expires; only a hash of its secret is stored. The answer to "reset" and
"register" is the same whether or not the address has an account: what differs is only the email
that its owner receives. Emails are written to the outbox in the same transaction as the change.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from huey import crontab
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..mail.models import OutboxMessage
from ..mail.services import link_context, queue_template
from ..tasks import app_context, huey
from ..models import User, UserSession, utcnow
from ..urls import public_url
from .models import EMAIL_CHANGE, ENDORSEMENT, INVITATION, REGISTRATION, RESET, AccountToken
from .passwords import hash_password, verify_password
from .services import (AccountError, EmailProblem, _token_hash, audit, check_password_rules, create_user,
                       normalise_email)


class LinkProblem(AccountError):
    """An emailed link that cannot be used; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


INVALID_LINK = "This link is not valid. Check that you opened the whole link from the email, or ask for a new one."
USED_LINK = "This link has already been used, and each link works once. Ask for a new one if you still need it."
EXPIRED_LINK = "This link has expired. Ask for a new one."
WRONG_ACCOUNT = ("This link was sent for another account than the one you are signed in with. "
                 "Sign out, then open the link again.")


def _lifetime(purpose: str) -> timedelta:
    config = current_app.config
    if purpose == INVITATION:
        return timedelta(days=config["INVITATION_DAYS"])
    if purpose == RESET:
        return timedelta(minutes=config["RESET_LINK_MINUTES"])
    if purpose == ENDORSEMENT:
        return timedelta(days=config["ENDORSEMENT_LINK_DAYS"])
    return timedelta(hours=config["CONFIRM_LINK_HOURS"])


def _new_link(purpose: str, endpoint: str, **fields) -> str:
    """Store a new single-use token and return the absolute URL that carries its secret."""
    return new_link(purpose, endpoint, **fields)[1]


def new_link(purpose: str, endpoint: str, **fields) -> tuple[AccountToken, str]:
    """A new single-use token (added to the caller's transaction) and the absolute URL carrying its secret;
    also for other features' emailed links (``endpoint`` takes the secret as ``token``)."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    token = AccountToken(token_hash=_token_hash(secret), purpose=purpose, created_at=now,
                         expires_at=now + _lifetime(purpose), **fields)
    db.session.add(token)
    with link_context():
        return token, public_url(endpoint, token=secret)


def _absolute(endpoint: str) -> str:
    with link_context():
        return public_url(endpoint)


def _retire(user_id: int, purpose: str) -> None:
    """Links of this kind sent earlier to this person stop working."""
    db.session.execute(update(AccountToken)
                       .where(AccountToken.user_id == user_id, AccountToken.purpose == purpose,
                              AccountToken.used_at.is_(None))
                       .values(used_at=utcnow()))


def check_link(secret: str, purpose: str, signed_in: User | None = None) -> AccountToken:
    """The live token for this link, or LinkProblem saying why it cannot be used (changes nothing)."""
    token = db.session.execute(
        db.select(AccountToken).where(AccountToken.token_hash == _token_hash(secret),
                                      AccountToken.purpose == purpose)
    ).scalar_one_or_none()
    if token is None:
        raise LinkProblem(INVALID_LINK, 404)
    if token.used_at is not None:
        raise LinkProblem(USED_LINK, 410)
    if token.expires_at <= utcnow():
        raise LinkProblem(EXPIRED_LINK, 410)
    if signed_in is not None and (token.user_id is None or token.user_id != signed_in.id):
        raise LinkProblem(WRONG_ACCOUNT, 403)
    return token


def use_link(token: AccountToken) -> None:
    """Spend a checked link (for other features' links): LinkProblem if it was spent a moment ago."""
    _use(token)


def _use(token: AccountToken) -> None:
    """Mark the token used; a second use at the same moment (a double click) finds it used."""
    done = db.session.execute(update(AccountToken)
                              .where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
                              .values(used_at=utcnow())).rowcount
    if done != 1:
        db.session.rollback()
        raise LinkProblem(USED_LINK, 410)


def _end_sessions(user: User, keep_token: str | None = None) -> None:
    query = db.delete(UserSession).where(UserSession.user_id == user.id)
    if keep_token:
        query = query.where(UserSession.token_hash != _token_hash(keep_token))
    db.session.execute(query)


def _valid_email(email: str) -> str:
    try:
        return normalise_email(validate_email(email.strip(), check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise EmailProblem(f"That email address is not valid: {exc}") from None


def _queue_at_most_every(minutes: int, key: str, *args, **kwargs) -> bool:
    """Queue an email unless one with this key was queued in the last few minutes (no mail-bombing an
    address by sending a form again and again); True when queued."""
    now = utcnow()
    key = "throttle:" + _token_hash(key)[:32]  # short, whatever the address's length
    recent = db.session.execute(
        db.select(OutboxMessage.id).where(OutboxMessage.dedupe_key.startswith(f"{key}:", autoescape=True),
                                          OutboxMessage.created_at > now - timedelta(minutes=minutes)).limit(1)
    ).first()
    if recent:
        return False
    queue_template(*args, dedupe_key=f"{key}:{now.isoformat()}:{secrets.token_hex(4)}", **kwargs)
    return True


def _user_by_email(email: str) -> User | None:
    return db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()


def forget_links(user_id: int) -> None:
    """Delete this person's emailed links (erasure)."""
    db.session.execute(db.delete(AccountToken).where(AccountToken.user_id == user_id))


def forget_spent_links(now=None) -> int:
    """Delete links that expired or were used more than a week ago (a registration's holds a password hash)."""
    cutoff = (now or utcnow()) - timedelta(days=7)
    done = db.session.execute(db.delete(AccountToken).where(
        db.or_(AccountToken.expires_at < cutoff, AccountToken.used_at < cutoff))).rowcount
    db.session.commit()
    return done


@huey.periodic_task(crontab(hour="3", minute="23"))
def forget_spent_links_job() -> None:
    """Nightly: tidy spent links."""
    with app_context():
        forget_spent_links()


# --- invitations -----------------------------------------------------------------------------

def invite(user: User, actor: User | None) -> None:
    """Email ``user`` a single-use link to choose a password and sign in; earlier invitations stop working.

    Added to the caller's transaction: the caller commits (the invitation goes only if it does)."""
    _retire(user.id, INVITATION)
    url = _new_link(INVITATION, "auth.accept_invitation", user_id=user.id)
    queue_template(user.email, "invitation", "invitation", user_id=user.id, user=user, actor=actor, url=url,
                   days=current_app.config["INVITATION_DAYS"])
    audit(actor, "user.invited", f"user:{user.id}")


def accept_invitation(secret: str, password: str, signed_in: User | None = None) -> User:
    """Set the invited person's password from their invitation link; returns them, ready to sign in."""
    token = check_link(secret, INVITATION, signed_in)
    check_password_rules(password)
    user = token.user
    if not user.active:
        raise AccountError("This account has been deactivated. Ask the programme team to reactivate it.")
    _use(token)
    user.password_hash = hash_password(password)
    audit(user, "user.invitation_accepted", f"user:{user.id}")
    db.session.commit()
    return user


# --- password reset --------------------------------------------------------------------------

def request_reset(email: str) -> None:
    """Email a reset link if the address has an active account; the caller answers the same either way."""
    try:
        email = _valid_email(email)
    except EmailProblem:
        return
    user = _user_by_email(email)
    if user is None or not user.active:
        return
    recent = db.session.execute(
        db.select(db.func.count()).select_from(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == RESET, AccountToken.used_at.is_(None),
               AccountToken.created_at > utcnow() - timedelta(minutes=current_app.config["RESET_RESEND_MINUTES"]))
    ).scalar_one()
    if recent:  # one is on its way: no flood of emails from repeated clicks or a prankster
        return
    url = _new_link(RESET, "auth.reset_password", user_id=user.id)
    queue_template(user.email, "reset", "reset", user_id=user.id, user=user, url=url,
                   minutes=current_app.config["RESET_LINK_MINUTES"], forgot_url=_absolute("auth.forgot_password"))
    audit(None, "user.reset_requested", f"user:{user.id}")
    db.session.commit()


def reset_password(secret: str, password: str, signed_in: User | None = None) -> User:
    """Set a new password from a reset link; every sign-in of the account ends and other reset links stop."""
    token = check_link(secret, RESET, signed_in)
    check_password_rules(password)
    user = token.user
    if not user.active:
        raise AccountError("This account has been deactivated. Ask the programme team to reactivate it.")
    _use(token)
    _retire(user.id, RESET)
    _set_password(user, password, reason="reset")
    _end_sessions(user)
    db.session.commit()
    return user


def _set_password(user: User, password: str, reason: str) -> None:
    user.password_hash = hash_password(password)
    queue_template(user.email, "password_changed", "security", user_id=user.id, user=user,
                   forgot_url=_absolute("auth.forgot_password"))
    audit(user, "user.password_changed", f"user:{user.id}", how=reason)


def change_password(user: User, current: str, new: str, keep_session: str | None) -> None:
    """Change a signed-in person's password (the current one required); their other sign-ins end."""
    if not verify_password(user.password_hash, current):
        raise AccountError("That is not your current password.")
    check_password_rules(new)
    _set_password(user, new, reason="changed")
    _end_sessions(user, keep_token=keep_session)
    _retire(user.id, RESET)
    db.session.commit()


# --- self-registration -----------------------------------------------------------------------

def register(email: str, name: str, password: str) -> str:
    """Start a registration: email a confirmation link, or tell the owner if the address has an account.

    Returns the normalised address; the answer to the person is the same in both cases."""
    if not current_app.config["SELF_REGISTRATION"]:
        raise AccountError("Accounts are created by invitation only. Ask your programme team for one.")
    email = _valid_email(email)
    if not name.strip():
        raise AccountError("Please give a name.")
    check_password_rules(password)
    password_hash = hash_password(password)  # hashed in both cases, so both take the same time
    owner = _user_by_email(email)
    if owner is not None:
        _queue_at_most_every(10, f"register-existing:{owner.id}", owner.email, "register_existing", "security",
                             user_id=owner.id, user=owner, login_url=_absolute("auth.login"),
                             forgot_url=_absolute("auth.forgot_password"))
    else:
        url = _new_link(REGISTRATION, "auth.confirm_registration", email=email, name=name.strip()[:120],
                        password_hash=password_hash)
        _queue_at_most_every(10, f"register:{email}", email, "confirm_registration", "registration",
                             name=name.strip(), url=url, hours=current_app.config["CONFIRM_LINK_HOURS"])
    db.session.commit()
    return email


def pending_registration(secret: str, signed_in: User | None) -> AccountToken:
    """The registration a confirmation link finishes (checks the link, changes nothing)."""
    if signed_in is not None:
        raise LinkProblem("You are signed in already. Sign out first to create another account.", 403)
    return check_link(secret, REGISTRATION)


def confirm_registration(secret: str, signed_in: User | None = None) -> User:
    """Create the learner account whose address this link confirms."""
    token = pending_registration(secret, signed_in)
    _use(token)
    if _user_by_email(token.email) is not None:  # invited or registered since the link was sent
        db.session.commit()
        raise AccountError("An account with this address exists already. Sign in, or reset its password.")
    # A concurrent confirmation for the same address makes this raise EmailTaken (and roll back).
    user = create_user(token.email, token.name, None, "learner", password_hash=token.password_hash, commit=False)
    db.session.commit()
    return user


# --- changing one's email address ------------------------------------------------------------

def request_email_change(user: User, new_email: str, password: str) -> str:
    """Email a confirmation link to the new address; the address changes only once it is confirmed."""
    if not verify_password(user.password_hash, password):
        raise AccountError("That is not your current password.")
    new_email = _valid_email(new_email)
    if new_email == user.email:
        raise EmailProblem("That is already your email address.")
    owner = _user_by_email(new_email)
    if owner is not None:  # say nothing about it here; its owner hears of it
        _queue_at_most_every(10, f"email-taken:{owner.id}", owner.email, "email_taken", "security",
                             user_id=owner.id, user=owner)
    else:
        _retire(user.id, EMAIL_CHANGE)
        url = _new_link(EMAIL_CHANGE, "auth.confirm_email_change", user_id=user.id, email=new_email)
        queue_template(new_email, "confirm_email_change", "email_change", user_id=user.id, user=user, url=url,
                       new_email=new_email, hours=current_app.config["CONFIRM_LINK_HOURS"])
    audit(user, "user.email_change_requested", f"user:{user.id}")
    db.session.commit()
    return new_email


def confirm_email_change(secret: str, signed_in: User | None = None) -> User:
    """Make the confirmed address the account's sign-in address; the old address is told."""
    token = check_link(secret, EMAIL_CHANGE, signed_in)
    user = token.user
    old_email, new_email = user.email, token.email
    _use(token)
    user.email = new_email
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise EmailProblem("Another account started using this address meanwhile, so it was not changed.") from None
    queue_template(old_email, "email_changed", "security", user_id=user.id, user=user, new_email=new_email)
    # No addresses in the trail: it outlives an erased account.
    audit(user, "user.email_changed", f"user:{user.id}")
    db.session.commit()
    return user
