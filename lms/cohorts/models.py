"""Cohort tables: the cohort and its plan, its learners (one cohort each) and its assessors."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.cohort_plan import TARGET_KINDS, PlanTarget
from ..extensions import db
from ..models import User, UTCDateTime, utcnow


class Cohort(db.Model):
    """An intake of mentors who go through the course together, with start and end dates."""

    __tablename__ = "cohorts"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    targets: Mapped[list[CohortTarget]] = relationship(cascade="all, delete-orphan", order_by="CohortTarget.due_on",
                                                       back_populates="cohort")

    @property
    def plan(self) -> list[PlanTarget]:
        """The placement plan as plain values."""
        return [PlanTarget(t.kind, t.ref, t.due_on) for t in self.targets]


class CohortTarget(db.Model):
    """One target date of a cohort's placement plan, for a unit or a whole domain."""

    __tablename__ = "cohort_targets"
    __table_args__ = (UniqueConstraint("cohort_id", "kind", "ref"),
                      CheckConstraint(f"kind IN {TARGET_KINDS!r}", name="kind_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    ref: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[date] = mapped_column(Date)

    cohort: Mapped[Cohort] = relationship(back_populates="targets")


class CohortLearner(db.Model):
    """A learner's place in a cohort. The primary key on the learner means: one cohort at a time."""

    __tablename__ = "cohort_learners"
    __table_args__ = (CheckConstraint("extension_days >= 0", name="extension_not_negative"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    # Days added to every target date of this one learner (an extension granted by the programme lead).
    extension_days: Mapped[int] = mapped_column(default=0, server_default="0")
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    cohort: Mapped[Cohort] = relationship()


class CohortAssessor(db.Model):
    """An assessor assigned to a cohort (an assessor may serve several cohorts)."""

    __tablename__ = "cohort_assessors"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)

    user: Mapped[User] = relationship()
