"""renewing and reissuing badges: a new assertion supersedes the old; at most one live badge per person and class

Revision ID: a13_renew
Revises: a13_endorse
"""
from alembic import op
import sqlalchemy as sa


revision = "a13_renew"
down_revision = "a13_endorse"
branch_labels = None
depends_on = None

LIVE = "revoked_at IS NULL AND superseded_at IS NULL"


def upgrade():
    with op.batch_alter_table("badge_assertions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_badge_assertions_supersedes_id_badge_assertions"),
                                    "badge_assertions", ["supersedes_id"], ["id"], ondelete="SET NULL")
        batch_op.create_unique_constraint(batch_op.f("uq_badge_assertions_supersedes_id"), ["supersedes_id"])
        # Issued once and only once becomes: at most one live (not revoked, not superseded) badge.
        batch_op.drop_constraint(batch_op.f("uq_badge_assertions_user_id_badge_class_id"), type_="unique")
    op.create_index("uq_badge_assertions_live", "badge_assertions", ["user_id", "badge_class_id"], unique=True,
                    postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE))
    op.create_table(
        "badge_renewals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assertion_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("versions_json", sa.Text(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("new_assertion_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["assertion_id"], ["badge_assertions.id"],
                                name=op.f("fk_badge_renewals_assertion_id_badge_assertions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["new_assertion_id"], ["badge_assertions.id"],
                                name=op.f("fk_badge_renewals_new_assertion_id_badge_assertions"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["started_by_id"], ["users.id"],
                                name=op.f("fk_badge_renewals_started_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_badge_renewals_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badge_renewals")),
        sa.UniqueConstraint("assertion_id", name=op.f("uq_badge_renewals_assertion_id")),
    )
    with op.batch_alter_table("badge_renewals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_badge_renewals_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("badge_renewals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_badge_renewals_user_id"))
    op.drop_table("badge_renewals")
    # Back to one badge per person and class ever: the superseded ones go (their successors stay).
    op.execute("DELETE FROM badge_assertions WHERE superseded_at IS NOT NULL")
    op.drop_index("uq_badge_assertions_live", table_name="badge_assertions")
    with op.batch_alter_table("badge_assertions", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_badge_assertions_user_id_badge_class_id"),
                                          ["user_id", "badge_class_id"])
        batch_op.drop_constraint(batch_op.f("uq_badge_assertions_supersedes_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_badge_assertions_supersedes_id_badge_assertions"), type_="foreignkey")
        batch_op.drop_column("superseded_at")
        batch_op.drop_column("supersedes_id")
