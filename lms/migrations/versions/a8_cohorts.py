"""cohorts, placement plans, cohort learners and assessors

Revision ID: a8_cohorts
Revises: a12_content
Create Date: 2026-11-23 15:17:49.002657

"""
from alembic import op
import sqlalchemy as sa


revision = "a8_cohorts"
down_revision = "a12_content"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cohorts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_cohorts_dates_in_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohorts')),
    sa.UniqueConstraint('name', name=op.f('uq_cohorts_name'))
    )
    op.create_table('cohort_assessors',
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_assessors_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cohort_assessors_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cohort_id', 'user_id', name=op.f('pk_cohort_assessors'))
    )
    with op.batch_alter_table('cohort_assessors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohort_assessors_user_id'), ['user_id'], unique=False)

    op.create_table('cohort_learners',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('extension_days', sa.Integer(), server_default='0', nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('extension_days >= 0', name=op.f('ck_cohort_learners_extension_not_negative')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_learners_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cohort_learners_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_cohort_learners'))
    )
    with op.batch_alter_table('cohort_learners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohort_learners_cohort_id'), ['cohort_id'], unique=False)

    op.create_table('cohort_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('ref', sa.String(length=100), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.CheckConstraint("kind IN ('unit', 'domain')", name=op.f('ck_cohort_targets_kind_known')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_targets_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_targets')),
    sa.UniqueConstraint('cohort_id', 'kind', 'ref', name=op.f('uq_cohort_targets_cohort_id_kind_ref'))
    )


def downgrade():
    op.drop_table('cohort_targets')
    with op.batch_alter_table('cohort_learners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohort_learners_cohort_id'))

    op.drop_table('cohort_learners')
    with op.batch_alter_table('cohort_assessors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohort_assessors_user_id'))

    op.drop_table('cohort_assessors')
    op.drop_table('cohorts')
