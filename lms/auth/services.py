"""Account operations: the one place that writes users, sign-in sessions and throttles."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ROLES, AuditEvent, LoginThrottle, User, UserSession, utcnow
from .passwords import hash_password, needs_rehash, verify_password


class AccountError(Exception):
    """An account operation that cannot be done; the message is shown to the person."""


class EmailProblem(AccountError):
    """The email address cannot be used: invalid, or taken."""


class EmailTaken(EmailProblem):
    """Another account already uses this email address."""


class RoleConflict(AccountError):
    """The role changed since the page was loaded; nothing was overwritten."""


class LastAdmin(AccountError):
    """The change would leave no admin."""


class SignInLocked(AccountError):
    """Too many failed attempts for this email or address."""

    def __init__(self, minutes: int):
        super().__init__(f"Too many failed sign-in attempts. Please wait {minutes} minute"
                         f"{'s' if minutes != 1 else ''} and try again.")
        self.minutes = minutes


BAD_CREDENTIALS = "That email and password do not match an account."


def normalise_email(email: str) -> str:
    """Emails are compared and stored trimmed and lowercased."""
    return email.strip().lower()


def audit(actor: User | None, action: str, subject: str, **details) -> None:
    """Add an audit event to the current transaction."""
    db.session.add(AuditEvent(actor_id=actor.id if actor else None, action=action, subject=subject,
                              details=json.dumps(details, sort_keys=True) if details else ""))


def create_user(email: str, name: str, password: str, role: str = "learner", actor: User | None = None) -> User:
    """Create an account; raises EmailTaken or AccountError with a message for the person."""
    try:
        email = normalise_email(validate_email(email.strip(), check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise EmailProblem(f"That email address is not valid: {exc}") from None
    if role not in ROLES:
        raise AccountError(f"Unknown role '{role}'. Choose one of: {', '.join(ROLES)}.")
    check_password_rules(password)
    if not name.strip():
        raise AccountError("Please give a name.")
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), role=role)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise EmailTaken("An account with this email already exists. Sign in instead.") from None
    audit(actor, "user.created", f"user:{user.id}", email=email, role=role)
    db.session.commit()
    return user


def check_password_rules(password: str) -> None:
    """Length is what makes a password strong; no composition rules (NIST SP 800-63B)."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise AccountError(f"The password must be at least {minimum} characters long.")
    if len(password) > 256:
        raise AccountError("The password must be at most 256 characters long.")


def authenticate(email: str, password: str, remote_addr: str | None) -> User:
    """The user for these credentials; raises SignInLocked or AccountError(BAD_CREDENTIALS)."""
    email = normalise_email(email)
    keys = [f"email:{email}"[:300]] + ([f"ip:{remote_addr}"] if remote_addr else [])
    now = utcnow()
    for key in keys:
        throttle = db.session.get(LoginThrottle, key)
        if throttle and throttle.locked_until and throttle.locked_until > now:
            raise SignInLocked(_minutes_left(throttle.locked_until, now))
    user = db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
    if not verify_password(user.password_hash if user else None, password):
        _record_failure(keys, now)
        raise AccountError(BAD_CREDENTIALS)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    # A success clears the email's count; the address keeps its count so spraying many emails still locks it.
    db.session.execute(db.delete(LoginThrottle).where(LoginThrottle.key == keys[0]))
    db.session.commit()
    return user


def _record_failure(keys: list[str], now: datetime) -> None:
    config = current_app.config
    window = timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    for key in keys:
        limit = config["LOGIN_MAX_FAILURES"] if key.startswith("email:") else config["LOGIN_MAX_FAILURES_PER_IP"]
        throttle = db.session.get(LoginThrottle, key, with_for_update=True)
        if throttle is None:
            throttle = LoginThrottle(key=key, failures=0, window_started_at=now)
            db.session.add(throttle)
        if now - throttle.window_started_at > window:
            throttle.failures, throttle.window_started_at, throttle.locked_until = 0, now, None
        throttle.failures += 1
        if throttle.failures >= limit:
            throttle.locked_until = now + timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
    try:
        db.session.commit()
    except IntegrityError:  # two first failures for one key at once: the other one counted
        db.session.rollback()


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, -(-int((until - now).total_seconds()) // 60))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """Record a new sign-in and return its token for the cookie; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    hours = current_app.config["SESSION_HOURS"]
    now = utcnow()
    db.session.add(UserSession(token_hash=_token_hash(token), user_id=user.id, created_at=now,
                               expires_at=now + timedelta(hours=hours)))
    # Expired sign-ins of this user are of no use to anyone: tidy them as we go.
    db.session.execute(db.delete(UserSession).where(UserSession.user_id == user.id,
                                                    UserSession.expires_at < now))
    db.session.commit()
    user.session_token = token
    return token


def user_for_session(token: str) -> User | None:
    """The user a live sign-in token belongs to, or None when it is unknown, ended or expired."""
    row = db.session.execute(
        db.select(UserSession).where(UserSession.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.expires_at <= utcnow():
        return None
    user = row.user
    user.session_token = token
    return user


def end_session(token: str | None) -> None:
    """End one sign-in, so its cookie no longer works anywhere."""
    if token:
        db.session.execute(db.delete(UserSession).where(UserSession.token_hash == _token_hash(token)))
        db.session.commit()


@dataclass(frozen=True)
class RoleChange:
    """An admin's request to change a user's role, with the role the admin saw."""

    user_id: int
    new_role: str
    expected_role: str


def change_role(actor: User, change: RoleChange) -> User:
    """Apply a role change unless someone changed the role meanwhile, or it would remove the last admin."""
    if change.new_role not in ROLES:
        raise AccountError(f"Unknown role '{change.new_role}'.")
    user = db.session.get(User, change.user_id)
    if user is None:
        raise AccountError("That account no longer exists.")
    if user.role == change.new_role:
        return user
    if user.role == "admin" and change.new_role != "admin":
        admins = db.session.execute(db.select(db.func.count()).select_from(User)
                                    .where(User.role == "admin")).scalar_one()
        if admins <= 1:
            raise LastAdmin("This is the only admin account; make someone else an admin first.")
    # Compare-and-set in one statement: a concurrent edit makes it match no row.
    result = db.session.execute(
        db.update(User).where(User.id == change.user_id, User.role == change.expected_role)
        .values(role=change.new_role)
    )
    if result.rowcount != 1:
        db.session.rollback()
        current = db.session.get(User, change.user_id)
        raise RoleConflict(f"{current.name}'s role was changed to {current.role} by someone else while you "
                           f"were editing; nothing was overwritten. Review it and try again.")
    audit(actor, "user.role_changed", f"user:{user.id}", old=change.expected_role, new=change.new_role)
    db.session.commit()
    db.session.refresh(user)
    return user
