"""Assessment tables: marks by assessors, the marking stage of each version, and the one final decision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..evidence.models import EvidenceVersion
from ..extensions import db
from ..models import User, UTCDateTime, utcnow

OUTCOMES = ("accepted", "not_yet")


class Assessment(db.Model):
    """The final decision on one evidence version, what the learner and the roll-up see: a single mark,
    two agreeing marks, a moderation or a review. The unique version_id means: decided once."""

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


# Where a submitted version is in marking. "final" means its Assessment row exists.
FIRST, SECOND, MODERATION, FINAL = "first", "second", "moderation", "final"
STAGES = (FIRST, SECOND, MODERATION, FINAL)
# Why a version gets a second mark.
SECOND_REASONS = ("sampled", "completes_credential", "uncalibrated_first_marker")


class MarkingCase(db.Model):
    """One submitted version on its way to a final decision: its blind code and marking stage.

    Learner and unit are copied from the submission (they never change) so that the queue is
    filtered, sorted and counted from this table and its index alone.
    """

    __tablename__ = "marking_cases"
    __table_args__ = (
        CheckConstraint(f"stage IN {STAGES!r}", name="stage_known"),
        # The queue: only versions waiting for a mark, oldest first (the keyset), with the filtered
        # columns in the index so that the page and the count are read from it alone.
        Index("ix_marking_cases_waiting", "submitted_at", "version_id", "stage", "unit_slug", "learner_id",
              "first_marker_id", sqlite_where=text("stage IN ('first', 'second')"),
              postgresql_where=text("stage IN ('first', 'second')")),
        # Moderation, and the statistics of final decisions.
        Index("ix_marking_cases_stage", "stage", "submitted_at"),
        # The queue's total leaves out second marks an assessor gave the first mark of (or whose first
        # marker was deleted): counted from this index, not from every waiting case.
        Index("ix_marking_cases_second_first_marker", "first_marker_id", sqlite_where=text("stage = 'second'"),
              postgresql_where=text("stage = 'second'")),
    )

    version_id: Mapped[int] = mapped_column(ForeignKey("evidence_versions.id", ondelete="CASCADE"),
                                            primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_slug: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stage: Mapped[str] = mapped_column(String(16), default=FIRST)
    # Drawn when submitted: this version is in the random share that is always second-marked.
    sampled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Comma-separated SECOND_REASONS, settled at the first mark.
    second_reasons: Mapped[str] = mapped_column(String(120), default="")
    first_marker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moderation_reason: Mapped[str] = mapped_column(Text, default="")
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[EvidenceVersion] = relationship(backref=db.backref("marking", uselist=False))
    marks: Mapped[list[Mark]] = relationship(order_by="Mark.seq", viewonly=True,
                                             primaryjoin="MarkingCase.version_id == foreign(Mark.version_id)")


class QueueCount(db.Model):
    """How many cases wait in each waiting stage ("first", "second") for each unit: the queue's total
    without counting every waiting case. Kept by database triggers on marking_cases (QUEUE_COUNT_TRIGGERS),
    in the same transaction as every insert, stage change and delete, by one UPDATE ... SET n = n +/- 1,
    so that it is exact under concurrent marking and also after bulk inserts and cascading deletes."""

    __tablename__ = "queue_counts"
    __table_args__ = (CheckConstraint("n >= 0", name="n_not_negative"),)

    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    unit_slug: Mapped[str] = mapped_column(String(100), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)


WAITING_SQL = "('first', 'second')"
# PostgreSQL: one trigger function for insert, update and delete.
QUEUE_COUNT_TRIGGERS_POSTGRESQL = (f"""
CREATE OR REPLACE FUNCTION marking_cases_queue_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.stage IN {WAITING_SQL} THEN
        IF TG_OP = 'UPDATE' AND NEW.stage = OLD.stage AND NEW.unit_slug = OLD.unit_slug THEN
            RETURN NULL;
        END IF;
        UPDATE queue_counts SET n = n - 1 WHERE stage = OLD.stage AND unit_slug = OLD.unit_slug;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.stage IN {WAITING_SQL} THEN
        INSERT INTO queue_counts (stage, unit_slug, n) VALUES (NEW.stage, NEW.unit_slug, 1)
        ON CONFLICT (stage, unit_slug) DO UPDATE SET n = queue_counts.n + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql""", """
CREATE TRIGGER marking_cases_queue_count AFTER INSERT OR DELETE OR UPDATE OF stage, unit_slug ON marking_cases
FOR EACH ROW EXECUTE FUNCTION marking_cases_queue_count()""")
# SQLite: one trigger per kind of change.
_SQLITE_ADD = (f"INSERT INTO queue_counts (stage, unit_slug, n) VALUES (NEW.stage, NEW.unit_slug, 1) "
               f"ON CONFLICT (stage, unit_slug) DO UPDATE SET n = n + 1")
_SQLITE_REMOVE = "UPDATE queue_counts SET n = n - 1 WHERE stage = OLD.stage AND unit_slug = OLD.unit_slug"
QUEUE_COUNT_TRIGGERS_SQLITE = (
    f"""CREATE TRIGGER marking_cases_queue_count_insert AFTER INSERT ON marking_cases
    WHEN NEW.stage IN {WAITING_SQL} BEGIN {_SQLITE_ADD}; END""",
    f"""CREATE TRIGGER marking_cases_queue_count_delete AFTER DELETE ON marking_cases
    WHEN OLD.stage IN {WAITING_SQL} BEGIN {_SQLITE_REMOVE}; END""",
    f"""CREATE TRIGGER marking_cases_queue_count_leave AFTER UPDATE OF stage, unit_slug ON marking_cases
    WHEN OLD.stage IN {WAITING_SQL} AND (NEW.stage != OLD.stage OR NEW.unit_slug != OLD.unit_slug)
    BEGIN {_SQLITE_REMOVE}; END""",
    f"""CREATE TRIGGER marking_cases_queue_count_enter AFTER UPDATE OF stage, unit_slug ON marking_cases
    WHEN NEW.stage IN {WAITING_SQL} AND (NEW.stage != OLD.stage OR NEW.unit_slug != OLD.unit_slug)
    BEGIN {_SQLITE_ADD}; END""",
)
QUEUE_COUNT_TRIGGERS = {"postgresql": QUEUE_COUNT_TRIGGERS_POSTGRESQL, "sqlite": QUEUE_COUNT_TRIGGERS_SQLITE}

for _dialect, _statements in QUEUE_COUNT_TRIGGERS.items():
    for _statement in _statements:
        event.listen(MarkingCase.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))


class Mark(db.Model):
    """One assessor's independent mark of one version: the first, or the blind second.

    (version_id, seq) unique: one first and one second mark, however many assessors try at once;
    (version_id, assessor_id) unique: nobody marks the same version twice.
    """

    __tablename__ = "marks"
    __table_args__ = (UniqueConstraint("version_id", "seq"), UniqueConstraint("version_id", "assessor_id"),
                      CheckConstraint("seq IN (1, 2)", name="seq_first_or_second"),
                      CheckConstraint(f"outcome IN {OUTCOMES!r}", name="outcome_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("evidence_versions.id", ondelete="CASCADE"))
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    seq: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(16))
    feedback: Mapped[str] = mapped_column(Text, default="")
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assessor: Mapped[User | None] = relationship()
    levels: Mapped[list[MarkLevel]] = relationship(back_populates="mark", order_by="MarkLevel.id",
                                                   cascade="all, delete-orphan")

    def level_of(self, indicator_id: str) -> int | None:
        """The level this mark gave an indicator."""
        return next((m.level for m in self.levels if m.indicator_id == indicator_id), None)

    def comment_of(self, indicator_id: str) -> str:
        """The comment this mark gave an indicator."""
        return next((m.comment for m in self.levels if m.indicator_id == indicator_id), "")


class MarkLevel(db.Model):
    """The level (and comment) one mark gave one indicator."""

    __tablename__ = "mark_levels"
    __table_args__ = (UniqueConstraint("mark_id", "indicator_id"),
                      CheckConstraint("level >= 0", name="level_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    mark_id: Mapped[int] = mapped_column(ForeignKey("marks.id", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(String(20))
    level: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")

    mark: Mapped[Mark] = relationship(back_populates="levels")


class MarkingNote(db.Model):
    """An assessor's work in progress on one version (levels, comments, feedback, outcome), saved as
    they type and when a decision is refused, so that nothing they entered is lost. Theirs alone."""

    __tablename__ = "marking_notes"

    version_id: Mapped[int] = mapped_column(ForeignKey("evidence_versions.id", ondelete="CASCADE"),
                                            primary_key=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    fields_json: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


REVIEW_OPEN, REVIEW_UPHELD, REVIEW_CHANGED = "open", "upheld", "changed"
REVIEW_STATUSES = (REVIEW_OPEN, REVIEW_UPHELD, REVIEW_CHANGED)


class ReviewRequest(db.Model):
    """A learner's request for a review of a final decision: once per version (the unique version_id)."""

    __tablename__ = "review_requests"
    __table_args__ = (CheckConstraint(f"status IN {REVIEW_STATUSES!r}", name="status_known"),
                      Index("ix_review_requests_status", "status", "requested_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("evidence_versions.id", ondelete="CASCADE"), unique=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=REVIEW_OPEN)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    response: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[EvidenceVersion] = relationship()
