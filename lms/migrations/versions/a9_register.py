"""the public register of certified mentors: opt-in and a public handle on accounts

Revision ID: a9_register
Revises: a8_cohorts
Create Date: 2026-11-23 16:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = "a9_register"
down_revision = "a8_cohorts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_register", sa.Boolean(), server_default=sa.text("false"), nullable=False))
        batch_op.add_column(sa.Column("register_id", sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_users_register_id"), ["register_id"])
        batch_op.create_index("ix_users_register", ["in_register", "name"], unique=False)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_register")
        batch_op.drop_constraint(batch_op.f("uq_users_register_id"), type_="unique")
        batch_op.drop_column("register_id")
        batch_op.drop_column("in_register")
