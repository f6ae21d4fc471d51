"""Calibration tables: an assessor's rounds, the exemplars drawn for each, and the levels given."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import User, UTCDateTime, utcnow


class CalibrationRound(db.Model):
    """One calibration round of one assessor: a few exemplars scored, then compared with the agreed levels."""

    __tablename__ = "calibration_rounds"
    __table_args__ = (
        Index("ix_calibration_rounds_assessor", "assessor_id", "completed_at"),
        CheckConstraint("agreed <= judged", name="agreed_within_judged"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Filled in when the round is completed: indicator levels given, and how many equal the agreed level.
    judged: Mapped[int] = mapped_column(default=0)
    agreed: Mapped[int] = mapped_column(default=0)

    assessor: Mapped[User] = relationship()
    items: Mapped[list[CalibrationItem]] = relationship(back_populates="round", order_by="CalibrationItem.position",
                                                        cascade="all, delete-orphan")

    @property
    def exact_agreement(self) -> float | None:
        """The share of indicator levels equal to the agreed level; None before the round is completed."""
        if self.completed_at is None or not self.judged:
            return None
        return self.agreed / self.judged


class CalibrationItem(db.Model):
    """One exemplar drawn for a round, with the version of the task and descriptors it was agreed against."""

    __tablename__ = "calibration_items"
    __table_args__ = (UniqueConstraint("round_id", "position"), UniqueConstraint("round_id", "exemplar_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("calibration_rounds.id", ondelete="CASCADE"))
    position: Mapped[int]
    exemplar_id: Mapped[str] = mapped_column(String(100))
    task_version: Mapped[str] = mapped_column(String(64), default="")
    descriptors_version: Mapped[str] = mapped_column(String(64), default="")
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[CalibrationRound] = relationship(back_populates="items")
    scores: Mapped[list[CalibrationScore]] = relationship(back_populates="item", order_by="CalibrationScore.id",
                                                          cascade="all, delete-orphan")


class CalibrationScore(db.Model):
    """The level an assessor gave one indicator of an exemplar, beside the level agreed for it."""

    __tablename__ = "calibration_scores"
    __table_args__ = (UniqueConstraint("item_id", "indicator_id"),
                      CheckConstraint("level >= 0 AND agreed_level >= 0", name="levels_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("calibration_items.id", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(String(20))
    level: Mapped[int]
    agreed_level: Mapped[int]

    item: Mapped[CalibrationItem] = relationship(back_populates="scores")
