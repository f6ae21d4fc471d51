"""Evidence tables: a learner's submission for a unit's task, its versions, files and links."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import User, UTCDateTime, utcnow

DRAFT, SUBMITTED, ACCEPTED, NOT_YET = "draft", "submitted", "accepted", "not_yet"
VERSION_STATUSES = (DRAFT, SUBMITTED, ACCEPTED, NOT_YET)


class Submission(db.Model):
    """A learner's evidence for one unit's evidence task, across all its versions."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("learner_id", "unit_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_slug: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    learner: Mapped[User] = relationship()
    versions: Mapped[list[EvidenceVersion]] = relationship(
        back_populates="submission", order_by="EvidenceVersion.number", cascade="all, delete-orphan")

    @property
    def latest(self) -> EvidenceVersion | None:
        """The newest version."""
        return self.versions[-1] if self.versions else None


class TaskTextSnapshot(db.Model):
    """A unit's evidence task exactly as it read at one time; evidence versions point at the one they
    were written against, so a later rewrite of the unit never changes what a learner answered."""

    __tablename__ = "task_texts"
    __table_args__ = (UniqueConstraint("unit_slug", "content_hash"), UniqueConstraint("unit_slug", "number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_slug: Mapped[str] = mapped_column(String(100))
    number: Mapped[int]  # 1, 2, ... for each unit: "task version 2"
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    instructions: Mapped[str] = mapped_column(Text)
    indicator_ids_json: Mapped[str] = mapped_column(Text, default="[]")
    details_json: Mapped[str] = mapped_column(Text, default="{}")  # parts, checklist, length, effort
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def indicator_ids(self) -> list[str]:
        """The indicators the task assessed in this text."""
        return json.loads(self.indicator_ids_json or "[]")

    @property
    def is_current(self) -> bool:
        """True while the unit's task still reads exactly like this snapshot."""
        from ..content_store import catalogue
        from ..domain.task_texts import task_text_of

        unit = catalogue().unit(self.unit_slug)
        return bool(unit and unit.task and task_text_of(self.unit_slug, unit.task).content_hash == self.content_hash)

    @property
    def details(self) -> dict:
        """Parts (prompt, indicators), checklist, min/max words and effort, where the task gave them."""
        return json.loads(self.details_json or "{}")


# Which task text each version answers. A table of its own rather than a column, so that adding it
# never rebuilds evidence_versions (on SQLite a rebuild drops the table and cascades to its children).
version_task_texts = db.Table(
    "evidence_version_task_texts",
    db.Column("version_id", db.ForeignKey("evidence_versions.id", ondelete="CASCADE"), primary_key=True),
    db.Column("task_text_id", db.ForeignKey("task_texts.id"), nullable=False, index=True),
)


class EvidenceVersion(db.Model):
    """One version of the evidence: a draft the learner edits, then a submission decided once."""

    __tablename__ = "evidence_versions"
    __table_args__ = (
        UniqueConstraint("submission_id", "number"),
        CheckConstraint(f"status IN {VERSION_STATUSES!r}", name="status_known"),
        # At most one version of a submission is open (being drafted or waiting for assessment).
        Index("uq_evidence_versions_one_open", "submission_id", unique=True,
              sqlite_where=text("status IN ('draft', 'submitted')"),
              postgresql_where=text("status IN ('draft', 'submitted')")),
        Index("ix_evidence_versions_queue", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    reflection: Mapped[str] = mapped_column(Text, default="")
    links_json: Mapped[str] = mapped_column(Text, default="[]")
    # The task's completeness checklist as the learner saw it, with their ticks: [{"item", "ticked"}].
    checklist_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    # Bumped by every save of a draft, so that an edit made from a stale page is refused.
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    submission: Mapped[Submission] = relationship(back_populates="versions")
    # The task text this version was written against (set on each save, frozen once submitted).
    task_text: Mapped[TaskTextSnapshot | None] = relationship(secondary="evidence_version_task_texts",
                                                               uselist=False)
    files: Mapped[list[EvidenceFile]] = relationship(back_populates="version", order_by="EvidenceFile.id",
                                                     cascade="all, delete-orphan")
    claimed_by: Mapped[User | None] = relationship()

    @property
    def links(self) -> list[str]:
        """The evidence links, in the order the learner gave them."""
        return json.loads(self.links_json or "[]")

    @property
    def checklist(self) -> list[tuple[str, bool]]:
        """The completeness checklist as saved with this version: (item, ticked by the learner)."""
        return [(entry["item"], bool(entry["ticked"])) for entry in json.loads(self.checklist_json or "[]")]

    def claim_active(self, now: datetime | None = None) -> bool:
        """True when an assessor holds an unexpired claim."""
        return bool(self.claimed_by_id and self.claim_expires_at and self.claim_expires_at > (now or utcnow()))


class EvidenceFile(db.Model):
    """A file attached to a version; the bytes live in instance/uploads under a generated name."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("evidence_versions.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(100), index=True)
    content_type: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[EvidenceVersion] = relationship(back_populates="files")


class Reopening(db.Model):
    """Accepted (or returned) evidence opened again for revision: who, why, and the new draft it began.

    The reopened version keeps its decision and levels; the unique new_version_id means one reopening
    per draft, however many times the same request is made at once.
    """

    __tablename__ = "evidence_reopenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    reopened_version_id: Mapped[int] = mapped_column(ForeignKey("evidence_versions.id", ondelete="CASCADE"))
    new_version_id: Mapped[int] = mapped_column(ForeignKey("evidence_versions.id", ondelete="CASCADE"), unique=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reopened_version: Mapped[EvidenceVersion] = relationship(foreign_keys=[reopened_version_id])
    new_version: Mapped[EvidenceVersion] = relationship(
        foreign_keys=[new_version_id], backref=db.backref("reopening", uselist=False))
    actor: Mapped[User | None] = relationship()
