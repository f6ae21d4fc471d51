"""In-app notifications, e.g. "your evidence was decided"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import UTCDateTime, utcnow


class Notification(db.Model):
    """A message for one user, with a link to what it is about; read_at is set when they read it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(String(300))
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# Emails a person may turn off. Invitations, resets and security notices always go.
EMAIL_KINDS = {
    "decisions": "When your evidence is decided",
    "badges": "When you earn a badge, or one is revoked",
    "reminders": "Reminders a few days before your cohort's target dates",
    "digest": "A daily digest of new and overdue submissions (assessors)",
}


class EmailOptOut(db.Model):
    """A kind of optional email that one person has turned off (no row: they get it)."""

    __tablename__ = "email_opt_outs"
    __table_args__ = (CheckConstraint(f"kind IN {tuple(EMAIL_KINDS)!r}", name="kind_known"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
