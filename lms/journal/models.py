"""Journal tables: mentees, entries (dated by the app), attachments to evidence, feedback requests."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import UTCDateTime, utcnow

KINDS = ("meeting", "goal", "goal_review", "observation", "mentee_feedback")
KIND_LABELS = {"meeting": "Meeting", "goal": "SMART goal", "goal_review": "Goal review",
               "observation": "Observation", "mentee_feedback": "Feedback from the mentee"}


class Mentee(db.Model):
    """A student educator the learner mentors, known by first name or a code only."""

    __tablename__ = "mentees"
    __table_args__ = (UniqueConstraint("learner_id", "display_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JournalEntry(db.Model):
    """One entry. created_at is when it was first written (kept on edits); updated_at its last edit."""

    __tablename__ = "journal_entries"
    __table_args__ = (CheckConstraint(f"kind IN {KINDS!r}", name="kind_known"),
                      Index("ix_journal_entries_learner", "learner_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    mentee_id: Mapped[int | None] = mapped_column(ForeignKey("mentees.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    agreed: Mapped[str] = mapped_column(Text, default="")  # meetings: what was agreed; goals: how it is measured
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id", ondelete="SET NULL"))
    answers_json: Mapped[str] = mapped_column(Text, default="")  # mentee feedback, exactly as given
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Feedback the mentee withdrew after a decision used it: hidden, and the decision stands.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    mentee: Mapped[Mentee | None] = relationship()
    goal: Mapped[JournalEntry | None] = relationship(remote_side=[id])

    @property
    def answers(self) -> dict:
        """The mentee's answers (feedback entries only)."""
        return json.loads(self.answers_json) if self.answers_json else {}

    @property
    def kind_label(self) -> str:
        """The kind in words."""
        return KIND_LABELS[self.kind]


class EntryAttachment(db.Model):
    """A journal entry attached to an evidence version as part of its evidence."""

    __tablename__ = "journal_attachments"
    __table_args__ = (UniqueConstraint("entry_id", "version_id"),
                      Index("ix_journal_attachments_version", "version_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("evidence_versions.id", ondelete="CASCADE"))
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[JournalEntry] = relationship()


class FeedbackRequest(db.Model):
    """A link sent to a mentee: answer once before it expires; a second link withdraws the answers."""

    __tablename__ = "mentee_feedback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("mentees.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    withdraw_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # given with the thank-you
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id", ondelete="SET NULL"))

    mentee: Mapped[Mentee] = relationship()
    learner = relationship("User")
