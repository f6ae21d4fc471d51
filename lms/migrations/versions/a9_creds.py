"""credentials signed once and stored: the signed credential on the assertion, baked images, status lists

Revision ID: a9_creds
Revises: a7_marking
"""
from alembic import op
import sqlalchemy as sa


revision = "a9_creds"
down_revision = "a7_marking"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("badge_assertions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_json", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("credential_version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("credential_signed_at", sa.DateTime(timezone=True), nullable=True))
    # The defaults only fill existing rows; the model sets every new row's values.
    with op.batch_alter_table("badge_assertions", schema=None) as batch_op:
        batch_op.alter_column("credential_json", server_default=None)
        batch_op.alter_column("credential_version", server_default=None)
    op.create_table(
        "badge_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assertion_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["assertion_id"], ["badge_assertions.id"],
                                name=op.f("fk_badge_images_assertion_id_badge_assertions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badge_images")),
        sa.UniqueConstraint("assertion_id", "form", name=op.f("uq_badge_images_assertion_id_form")),
    )
    op.create_table(
        "badge_status_lists",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_badge_status_lists")),
    )


def downgrade():
    op.drop_table("badge_status_lists")
    op.drop_table("badge_images")
    with op.batch_alter_table("badge_assertions", schema=None) as batch_op:
        batch_op.drop_column("credential_signed_at")
        batch_op.drop_column("credential_version")
        batch_op.drop_column("credential_json")
