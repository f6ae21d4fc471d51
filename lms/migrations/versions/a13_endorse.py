"""endorsements of badges, asked for by an emailed single-use link (account_tokens purpose "endorsement")

Revision ID: a13_endorse
Revises: a12_badge_names
"""
from alembic import op
import sqlalchemy as sa


revision = "a13_endorse"
down_revision = "a12_badge_names"
branch_labels = None
depends_on = None

OLD_PURPOSES = "purpose IN ('invitation', 'reset', 'registration', 'email_change')"
NEW_PURPOSES = "purpose IN ('invitation', 'reset', 'registration', 'email_change', 'endorsement')"


def upgrade():
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_account_tokens_purpose_known"), type_="check")
        batch_op.create_check_constraint("purpose_known", sa.text(NEW_PURPOSES))
    op.create_table(
        "badge_endorsements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("assertion_id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("endorser_email", sa.String(length=254), nullable=False),
        sa.Column("endorser_name", sa.String(length=120), nullable=False),
        sa.Column("endorser_role", sa.String(length=80), nullable=False),
        sa.Column("endorser_organisation", sa.String(length=120), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("credential_json", sa.Text(), nullable=False),
        sa.CheckConstraint("status IN ('requested', 'received', 'approved', 'withdrawn')",
                           name=op.f("ck_badge_endorsements_status_known")),
        sa.ForeignKeyConstraint(["assertion_id"], ["badge_assertions.id"],
                                name=op.f("fk_badge_endorsements_assertion_id_badge_assertions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["token_id"], ["account_tokens.id"],
                                name=op.f("fk_badge_endorsements_token_id_account_tokens"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badge_endorsements")),
        sa.UniqueConstraint("public_id", name=op.f("uq_badge_endorsements_public_id")),
    )
    with op.batch_alter_table("badge_endorsements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_badge_endorsements_assertion_id"), ["assertion_id"], unique=False)


def downgrade():
    with op.batch_alter_table("badge_endorsements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_badge_endorsements_assertion_id"))
    op.drop_table("badge_endorsements")
    op.execute("DELETE FROM account_tokens WHERE purpose = 'endorsement'")
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_account_tokens_purpose_known"), type_="check")
        batch_op.create_check_constraint("purpose_known", sa.text(OLD_PURPOSES))
