"""Single-use links sent by email: invitations, password resets, registrations, email changes and
requests to endorse a badge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import User, UTCDateTime, utcnow

INVITATION, RESET, REGISTRATION, EMAIL_CHANGE = "invitation", "reset", "registration", "email_change"
ENDORSEMENT = "endorsement"  # a request to endorse a badge (lms/badges/endorsements.py)
PURPOSES = (INVITATION, RESET, REGISTRATION, EMAIL_CHANGE, ENDORSEMENT)


class AccountToken(db.Model):
    """One emailed link. Only the hash of its secret is stored; used_at makes it single-use."""

    __tablename__ = "account_tokens"
    __table_args__ = (CheckConstraint(f"purpose IN {PURPOSES!r}", name="purpose_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    # The account it acts on; none for a registration, whose account is created when it is confirmed.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The address confirmed by following the link (registration, email change).
    email: Mapped[str | None] = mapped_column(String(254))
    # A registration waiting for its address to be confirmed: the name and password hash given.
    name: Mapped[str | None] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
