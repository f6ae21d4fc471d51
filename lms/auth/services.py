"""Account operations: the one place that writes users, sign-in sessions and throttles."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app, g
from sqlalchemy.exc import IntegrityError
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..audit.services import record as record_event
from ..request_caches import request_caches
from ..models import ROLE_LABELS, ROLES, LoginThrottle, User, UserRole, UserSession, utcnow
from .models import AccountToken  # noqa: F401 - the emailed links (accounts.py)
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
    """Add an audit event to the current transaction (see lms.audit.services.record)."""
    record_event(actor, action, subject, **details)


# Never matches any password: an invited person has none until they choose one from their invitation.
UNUSABLE_PASSWORD = "!no password chosen yet"


def create_user(email: str, name: str, password: str | None, role: str | tuple[str, ...] | list[str] = "learner",
                actor: User | None = None, school: str = "", region: str = "", *,
                password_hash: str | None = None, commit: bool = True) -> User:
    """Create an account holding ``role`` (one role, or several); raises EmailTaken or AccountError.

    ``password=None`` makes an account that cannot sign in until its owner accepts an invitation
    (see accounts.invite); ``password_hash`` is a hash chosen earlier (a confirmed registration).
    ``commit=False`` leaves the commit to the caller (to invite in the same transaction)."""
    try:
        email = normalise_email(validate_email(email.strip(), check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise EmailProblem(f"That email address is not valid: {exc}") from None
    roles = [role] if isinstance(role, str) else list(role)
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise AccountError(f"Unknown role '{(unknown or [''])[0]}'. Choose one of: {', '.join(ROLES)}.")
    if password is not None:
        check_password_rules(password)
        password_hash = hash_password(password)
    if not name.strip():
        raise AccountError("Please give a name.")
    user = User(email=email, name=name.strip(), password_hash=password_hash or UNUSABLE_PASSWORD,
                school=school.strip(), region=region.strip())
    user.role_rows = [UserRole(role=r) for r in dict.fromkeys(roles)]
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise EmailTaken("An account with this email already exists. Sign in instead.") from None
    audit(actor, "user.created", f"user:{user.id}", email=email, roles=sorted(set(roles)))
    if commit:
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
    user = db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
    for key in keys:
        throttle = db.session.get(LoginThrottle, key)
        if throttle and throttle.locked_until and throttle.locked_until > now:
            record_event(None, "signin.locked", f"email:{email}"[:200], subject_user_id=user.id if user else None,
                         address=remote_addr or "")
            db.session.commit()
            raise SignInLocked(_minutes_left(throttle.locked_until, now))
    if not verify_password(user.password_hash if user else None, password):
        record_event(None, "signin.failed", f"email:{email}"[:200], subject_user_id=user.id if user else None,
                     address=remote_addr or "")
        db.session.commit()  # the attempt is on record even if counting it races with another
        _record_failure(keys, now)
        raise AccountError(BAD_CREDENTIALS)
    if not user.active:
        raise AccountError("This account has been deactivated. Ask the programme team to reactivate it.")
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


_session_lookup = None


def _session_lookup_statement():
    """The sign-in lookup, built once: every signed-in request runs it, and building a statement costs more
    than running it."""
    global _session_lookup
    if _session_lookup is None:
        from ..notifications.models import Notification
        unread = (db.select(db.func.count()).select_from(Notification)
                  .where(Notification.user_id == User.id, Notification.read_at.is_(None)).scalar_subquery())
        _session_lookup = (
            db.select(User, UserSession.expires_at, unread.label("unread"))
            .join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.token_hash == db.bindparam("token_hash")).options(joinedload(User.role_rows)))
    return _session_lookup


def user_for_session(token: str) -> User | None:
    """The user a live sign-in token belongs to, or None when it is unknown, ended or expired."""
    token_hash = _token_hash(token)
    caches = request_caches()
    if caches is not None:
        # Kept from an earlier request of this worker while nobody wrote to people, roles, sign-ins or
        # notifications since: no statement at all.
        stamps = (caches.sign_in.current(),)  # read before the lookup
        g.sign_in_generation = stamps[0]  # what a kept page shows of this person was read under it
        kept = caches.sign_ins.get(token_hash, stamps)
        if kept is not None:
            template, expires_at, unread = kept
            if expires_at <= utcnow():
                return None
            user = db.session.merge(template, load=False)
            user.session_token, user.unread_notifications = token, unread
            return user
    # One statement for every signed-in request: the sign-in, its person, their roles, and how many
    # notifications they have not read (which every page shows, from its index).
    row = db.session.execute(_session_lookup_statement(), {"token_hash": token_hash}).unique().first()
    if row is None or row.expires_at <= utcnow():
        return None
    user = row.User
    if not user.active:
        return None
    user.session_token = token
    user.unread_notifications = row.unread
    if caches is not None:
        caches.sign_ins.put(token_hash, stamps, time.time() + _KEPT_SECONDS,
                            (_detached_copy(user), row.expires_at, row.unread))
    return user


# A kept sign-in is looked up again at least this often, whatever the generation says.
_KEPT_SECONDS = 300


def _detached_copy(user: User) -> User:
    """A copy of ``user`` and their roles that belongs to no session, to merge into later requests' sessions
    without a statement."""
    copy = User()
    for attribute in sa_inspect(User).column_attrs:
        set_committed_value(copy, attribute.key, getattr(user, attribute.key))
    roles = []
    for row in user.role_rows:
        role = UserRole()
        set_committed_value(role, "user_id", row.user_id)
        set_committed_value(role, "role", row.role)
        make_transient_to_detached(role)
        roles.append(role)
    set_committed_value(copy, "role_rows", roles)
    make_transient_to_detached(copy)
    return copy


def end_session(token: str | None) -> None:
    """End one sign-in, so its cookie no longer works anywhere."""
    if token:
        db.session.execute(db.delete(UserSession).where(UserSession.token_hash == _token_hash(token)))
        db.session.commit()


@dataclass(frozen=True)
class RoleChange:
    """An admin's request to set a user's roles, with the roles the admin saw (to refuse a conflicting edit)."""

    user_id: int
    new_roles: frozenset[str]
    expected_roles: frozenset[str]


def describe_roles(roles) -> str:
    """Roles in words, in a fixed order: "assessor, lead assessor"."""
    return ", ".join(ROLE_LABELS[r] for r in ROLES if r in roles) or "no role"


def set_roles(actor: User, change: RoleChange) -> User:
    """Apply a role change unless someone changed the roles meanwhile, or it would remove the last admin."""
    unknown = set(change.new_roles) - set(ROLES)
    if unknown:
        raise AccountError(f"Unknown role '{sorted(unknown)[0]}'.")
    if not change.new_roles:
        raise AccountError("Give the account at least one role.")
    # Lock the person's row (PostgreSQL; SQLite serialises writers) so two edits cannot interleave.
    user = db.session.execute(db.select(User).where(User.id == change.user_id).with_for_update()).scalar_one_or_none()
    if user is None:
        raise AccountError("That account no longer exists.")
    db.session.refresh(user, ["role_rows"])
    current = user.roles
    if current != change.expected_roles:
        db.session.rollback()
        raise RoleConflict(f"{user.name}'s roles were changed to {describe_roles(current)} by someone else while "
                           f"you were editing; nothing was overwritten. Review them and try again.")
    if current == change.new_roles:
        db.session.rollback()
        return user
    if "admin" in current and "admin" not in change.new_roles:
        admins = db.session.execute(db.select(db.func.count()).select_from(UserRole)
                                    .where(UserRole.role == "admin")).scalar_one()
        if admins <= 1:
            db.session.rollback()
            raise LastAdmin("This is the only admin account; make someone else an admin first.")
    for row in list(user.role_rows):
        if row.role not in change.new_roles:
            user.role_rows.remove(row)
    for role in sorted(change.new_roles - current):
        user.role_rows.append(UserRole(role=role))
    audit(actor, "user.roles_changed", f"user:{user.id}", old=sorted(current), new=sorted(change.new_roles))
    db.session.commit()
    return user
