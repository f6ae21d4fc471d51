"""Accounts as the programme team manages them: created without a password (the person is invited
to choose one), deactivated and reactivated. Records always stay."""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError

from ..auth.services import AccountError, EmailProblem, EmailTaken, audit, describe_roles, normalise_email
from ..extensions import db
from ..models import ROLES, User, UserRole, UserSession

# What a programme lead may hand out; only admins create programme leads and admins.
PROGRAMME_LEAD_GRANTS = ("learner", "assessor", "lead_assessor")


def unusable_password() -> str:
    """A password hash no password matches (not an Argon2 hash), until the person sets their own."""
    return "!" + secrets.token_urlsafe(16)


def grantable_roles(actor: User) -> tuple[str, ...]:
    """The roles this person may give a new account."""
    return ROLES if actor.has_role("admin") else PROGRAMME_LEAD_GRANTS


def clean_email(email: str) -> str:
    """The address normalised for storage; raises EmailProblem when it is not an email address."""
    try:
        return normalise_email(validate_email(email.strip(), check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise EmailProblem(f"That email address is not valid: {exc}") from None


def user_by_email(email: str) -> User | None:
    """The account with this email address, if any."""
    return db.session.execute(db.select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


def create_person(actor: User | None, name: str, email: str, school: str = "", region: str = "",
                  roles: tuple[str, ...] = ("learner",), commit: bool = True) -> User:
    """Create an account with no usable password yet; raises EmailTaken or AccountError."""
    email = clean_email(email)
    name = " ".join(name.split())
    if not name:
        raise AccountError("Give the person's name.")
    if len(name) > 120 or len(school) > 200 or len(region) > 100:
        raise AccountError("Name, school or region is too long (at most 120, 200 and 100 characters).")
    roles = tuple(dict.fromkeys(roles)) or ("learner",)
    if actor is not None:
        refused = [r for r in roles if r not in grantable_roles(actor)]
        if refused:
            raise AccountError(f"You cannot give the role {describe_roles(refused)}; ask an admin.")
    if user_by_email(email) is not None:
        raise EmailTaken(f"An account with the email {email} already exists.")
    user = User(email=email, name=name, password_hash=unusable_password(), school=school.strip(),
                region=region.strip())
    user.role_rows = [UserRole(role=r) for r in roles]
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise EmailTaken(f"An account with the email {email} already exists.") from None
    audit(actor, "user.created", f"user:{user.id}", email=email, roles=sorted(roles))
    if commit:
        db.session.commit()
    return user


def set_active(actor: User, user_id: int, active: bool) -> User:
    """Deactivate (sign-in refused, every sign-in ended, records kept) or reactivate an account."""
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError("That account no longer exists.")
    if user.active == active:
        return user
    if not active:
        if user.id == actor.id:
            raise AccountError("You cannot deactivate your own account.")
        if user.has_role("admin") and not actor.has_role("admin"):
            raise AccountError("Only an admin can deactivate an admin's account.")
        if "admin" in user.roles:
            others = db.session.execute(
                db.select(db.func.count()).select_from(UserRole).join(User, User.id == UserRole.user_id)
                .where(UserRole.role == "admin", User.active.is_(True), User.id != user.id)).scalar_one()
            if not others:
                raise AccountError("This is the only active admin account; make someone else an admin first.")
        db.session.execute(db.delete(UserSession).where(UserSession.user_id == user.id))
    user.active = active
    audit(actor, "user.reactivated" if active else "user.deactivated", f"user:{user.id}")
    db.session.commit()
    return user
