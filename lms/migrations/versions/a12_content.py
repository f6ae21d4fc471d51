"""completeness checklist ticks saved with each evidence version

Revision ID: a12_content
Revises: a7_record
Create Date: 2026-11-23 15:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = "a12_content"
down_revision = "a7_record"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("evidence_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checklist_json", sa.Text(), server_default="[]", nullable=False))


def downgrade():
    with op.batch_alter_table("evidence_versions", schema=None) as batch_op:
        batch_op.drop_column("checklist_json")
