"""Database tables: accounts, sign-in sessions, sign-in throttling, learning progress, audit trail."""

from __future__ import annotations

from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text, types
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

# What a person may do. A person may hold several roles (an assessor can also be a lead assessor).
ROLES = ("learner", "assessor", "lead_assessor", "programme_lead", "admin")
ROLE_LABELS = {"learner": "learner", "assessor": "assessor", "lead_assessor": "lead assessor",
               "programme_lead": "programme lead", "admin": "admin"}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(types.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = types.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime: use timezone-aware UTC times")
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class User(UserMixin, db.Model):
    """A person with an account, holding one or more roles (learner, assessor, lead assessor, ...)."""

    __tablename__ = "users"
    __table_args__ = (Index("ix_users_register", "in_register", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lowercased so that one address can never hold two accounts.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    school: Mapped[str] = mapped_column(String(200), default="", server_default="")
    region: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # A deactivated person cannot sign in; their records stay.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # The public register of certified mentors: only those who opted in appear, under a random handle.
    in_register: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    register_id: Mapped[str | None] = mapped_column(String(16), unique=True)
    # Set when an admin erased the account: the name is then a pseudonym and the email a placeholder.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                     order_by="UserRole.role")

    # Set by the session loader: the sign-in this request belongs to (see auth.services).
    session_token = None  # str | None; an instance attribute, not a column
    # Also set by the session loader: the unread notification count as the request began.
    unread_notifications = None  # int | None

    def get_id(self) -> str | None:
        """Flask-Login keeps the sign-in token in the cookie, not the user id, so logout can revoke it."""
        return self.session_token

    @property
    def is_active(self) -> bool:
        """Flask-Login's view of the account: deactivated accounts cannot sign in."""
        return bool(self.active)

    @property
    def roles(self) -> frozenset[str]:
        """Every role this person holds."""
        return frozenset(r.role for r in self.role_rows)

    @property
    def role(self) -> str:
        """The highest role held, for display ("admin" over "assessor" over "learner")."""
        held = self.roles
        return next((r for r in reversed(ROLES) if r in held), "learner")

    @property
    def role_labels(self) -> str:
        """The roles in words: "assessor, lead assessor"."""
        return ", ".join(ROLE_LABELS[r] for r in ROLES if r in self.roles) or "no role"

    def has_role(self, *roles: str) -> bool:
        """True when the user holds one of ``roles``; admins pass every role check."""
        held = self.roles
        return "admin" in held or any(r in held for r in roles)


class UserRole(db.Model):
    """One role held by one person; the primary key means a role is held at most once."""

    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role_known"),
                      Index("ix_user_roles_role", "role"))

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class UserSession(db.Model):
    """One sign-in. The cookie holds a random token whose hash is stored here; deleting the row ends it."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """Failed sign-in attempts for one key ("email:..." or "ip:..."), shared by every app server."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UnitProgress(db.Model):
    """A learner's completion of one unit; at most one row per learner and unit."""

    __tablename__ = "unit_progress"
    __table_args__ = (UniqueConstraint("user_id", "unit_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    unit_slug: Mapped[str] = mapped_column(String(100))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(db.Model):
    """Who did what to whom, and when: accounts, sign-ins, evidence, assessment and badge events."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_created_at", "created_at"),
                      Index("ix_audit_events_actor", "actor_id", "created_at"),
                      Index("ix_audit_events_subject_user", "subject_user_id", "created_at"),
                      Index("ix_audit_events_action", "action", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200))
    # The person the event is about (the learner whose evidence was decided, the account changed...).
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    details: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject_user: Mapped[User | None] = relationship(foreign_keys=[subject_user_id])
