"""Assessment tables: one decision per evidence version, with a level per indicator."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..evidence.models import EvidenceVersion
from ..extensions import db
from ..models import User, UTCDateTime, utcnow

OUTCOMES = ("accepted", "not_yet")


class Assessment(db.Model):
    """An assessor's decision on one evidence version. The unique version_id means: decided once."""

    __tablename__ = "assessments"
    __table_args__ = (CheckConstraint(f"outcome IN {OUTCOMES!r}", name="outcome_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("evidence_versions.id", ondelete="CASCADE"), unique=True)
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    feedback: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[EvidenceVersion] = relationship(backref=db.backref("assessment", uselist=False))
    assessor: Mapped[User | None] = relationship()
    scores: Mapped[list[IndicatorScore]] = relationship(back_populates="assessment", order_by="IndicatorScore.id",
                                                        cascade="all, delete-orphan")


class IndicatorScore(db.Model):
    """The rubric level an assessment gave one indicator, with an optional comment."""

    __tablename__ = "indicator_scores"
    __table_args__ = (UniqueConstraint("assessment_id", "indicator_id"),
                      CheckConstraint("level >= 0", name="level_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(String(20))
    level: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")

    assessment: Mapped[Assessment] = relationship(back_populates="scores")
