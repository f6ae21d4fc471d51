"""The learner's record: one row per indicator of each final decision on an evidence version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import UTCDateTime, utcnow

OUTCOMES = ("accepted", "not_yet")


class RecordEntry(db.Model):
    """The final level one indicator received in the final decision on one evidence version.

    One row per version and indicator (the unique constraint), changed only when a lead assessor's review
    changes the decision on that version: a reopened task keeps the levels accepted here, and a later
    version adds rows of its own.
    """

    __tablename__ = "record_entries"
    __table_args__ = (UniqueConstraint("version_id", "indicator_id"),
                      CheckConstraint(f"outcome IN {OUTCOMES!r}", name="outcome_known"),
                      CheckConstraint("level >= 0", name="level_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("evidence_versions.id", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(String(20))
    level: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(16))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
