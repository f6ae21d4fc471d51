"""several roles per person; school, region and active on accounts

Revision ID: 0004_roles
Revises: 0003
Create Date: 2026-11-23 15:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0004_roles"
down_revision = "0003"
branch_labels = None
depends_on = None

ROLES = ("learner", "assessor", "lead_assessor", "programme_lead", "admin")


def upgrade():
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.CheckConstraint(f"role IN {ROLES!r}", name=op.f("ck_user_roles_role_known")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_roles")),
    )
    op.create_index("ix_user_roles_role", "user_roles", ["role"], unique=False)
    # Everyone keeps the role they had.
    op.execute("INSERT INTO user_roles (user_id, role) SELECT id, role FROM users")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role_known"), type_="check")
        batch_op.drop_column("role")
        batch_op.add_column(sa.Column("school", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("region", sa.String(length=100), server_default="", nullable=False))
        batch_op.add_column(sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=16), server_default="learner", nullable=False))
    # The highest role each person holds becomes their one role.
    for old, held in (("assessor", "assessor"), ("assessor", "lead_assessor"), ("admin", "admin")):
        op.execute(f"UPDATE users SET role = '{old}' WHERE id IN "
                   f"(SELECT user_id FROM user_roles WHERE role = '{held}')")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_check_constraint("role_known", "role IN ('learner', 'assessor', 'admin')")
        batch_op.drop_column("active")
        batch_op.drop_column("region")
        batch_op.drop_column("school")
    op.drop_index("ix_user_roles_role", table_name="user_roles")
    op.drop_table("user_roles")
