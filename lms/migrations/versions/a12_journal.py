"""the mentoring journal: mentees, entries, attachments to evidence, mentee feedback requests

Revision ID: a12_journal
Revises: a9_register
Create Date: 2026-11-23 16:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = "a12_journal"
down_revision = "a9_register"
branch_labels = None
depends_on = None

KINDS = ("meeting", "goal", "goal_review", "observation", "mentee_feedback")


def upgrade():
    op.create_table(
        "mentees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["users.id"], name=op.f("fk_mentees_learner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentees")),
        sa.UniqueConstraint("learner_id", "display_name", name=op.f("uq_mentees_learner_id_display_name")),
    )
    op.create_index(op.f("ix_mentees_learner_id"), "mentees", ["learner_id"], unique=False)
    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("agreed", sa.Text(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=True),
        sa.Column("answers_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"kind IN {KINDS!r}", name=op.f("ck_journal_entries_kind_known")),
        sa.ForeignKeyConstraint(["goal_id"], ["journal_entries.id"], name=op.f("fk_journal_entries_goal_id_journal_entries"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["learner_id"], ["users.id"], name=op.f("fk_journal_entries_learner_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["mentee_id"], ["mentees.id"], name=op.f("fk_journal_entries_mentee_id_mentees"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
    )
    op.create_index("ix_journal_entries_learner", "journal_entries", ["learner_id", "created_at"], unique=False)
    op.create_table(
        "journal_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entries.id"], name=op.f("fk_journal_attachments_entry_id_journal_entries"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["evidence_versions.id"], name=op.f("fk_journal_attachments_version_id_evidence_versions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_attachments")),
        sa.UniqueConstraint("entry_id", "version_id", name=op.f("uq_journal_attachments_entry_id_version_id")),
    )
    op.create_index("ix_journal_attachments_version", "journal_attachments", ["version_id"], unique=False)
    op.create_table(
        "mentee_feedback_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("withdraw_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entries.id"], name=op.f("fk_mentee_feedback_requests_entry_id_journal_entries"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["learner_id"], ["users.id"], name=op.f("fk_mentee_feedback_requests_learner_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["mentee_id"], ["mentees.id"], name=op.f("fk_mentee_feedback_requests_mentee_id_mentees"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentee_feedback_requests")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_mentee_feedback_requests_token_hash")),
        sa.UniqueConstraint("withdraw_hash", name=op.f("uq_mentee_feedback_requests_withdraw_hash")),
    )
    op.create_index(op.f("ix_mentee_feedback_requests_learner_id"), "mentee_feedback_requests", ["learner_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_mentee_feedback_requests_learner_id"), table_name="mentee_feedback_requests")
    op.drop_table("mentee_feedback_requests")
    op.drop_index("ix_journal_attachments_version", table_name="journal_attachments")
    op.drop_table("journal_attachments")
    op.drop_index("ix_journal_entries_learner", table_name="journal_entries")
    op.drop_table("journal_entries")
    op.drop_index(op.f("ix_mentees_learner_id"), table_name="mentees")
    op.drop_table("mentees")
