"""calibration rounds, their exemplars and the levels given

Revision ID: a7_calib
Revises: a8_privacy
Create Date: 2026-11-23 15:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = "a7_calib"
down_revision = "a8_privacy"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calibration_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("judged", sa.Integer(), nullable=False),
        sa.Column("agreed", sa.Integer(), nullable=False),
        sa.CheckConstraint("agreed <= judged", name=op.f("ck_calibration_rounds_agreed_within_judged")),
        sa.ForeignKeyConstraint(["assessor_id"], ["users.id"], name=op.f("fk_calibration_rounds_assessor_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibration_rounds")),
    )
    op.create_index("ix_calibration_rounds_assessor", "calibration_rounds", ["assessor_id", "completed_at"])
    op.create_table(
        "calibration_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("exemplar_id", sa.String(length=100), nullable=False),
        sa.Column("task_version", sa.String(length=64), nullable=False),
        sa.Column("descriptors_version", sa.String(length=64), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["calibration_rounds.id"],
                                name=op.f("fk_calibration_items_round_id_calibration_rounds"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibration_items")),
        sa.UniqueConstraint("round_id", "position", name=op.f("uq_calibration_items_round_id_position")),
        sa.UniqueConstraint("round_id", "exemplar_id", name=op.f("uq_calibration_items_round_id_exemplar_id")),
    )
    op.create_table(
        "calibration_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.String(length=20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("agreed_level", sa.Integer(), nullable=False),
        sa.CheckConstraint("level >= 0 AND agreed_level >= 0", name=op.f("ck_calibration_scores_levels_not_negative")),
        sa.ForeignKeyConstraint(["item_id"], ["calibration_items.id"],
                                name=op.f("fk_calibration_scores_item_id_calibration_items"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibration_scores")),
        sa.UniqueConstraint("item_id", "indicator_id", name=op.f("uq_calibration_scores_item_id_indicator_id")),
    )


def downgrade():
    op.drop_table("calibration_scores")
    op.drop_table("calibration_items")
    op.drop_index("ix_calibration_rounds_assessor", table_name="calibration_rounds")
    op.drop_table("calibration_rounds")
