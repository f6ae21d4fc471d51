"""audit events name the person they are about; accounts record when they were erased

Revision ID: a8_privacy
Revises: a8_mail
Create Date: 2026-11-23 15:50:00

"""
import json

from alembic import op
import sqlalchemy as sa


revision = "a8_privacy"
down_revision = "a8_mail"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_audit_events_subject_user_id_users"), "users",
                                    ["subject_user_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index("ix_audit_events_actor", ["actor_id", "created_at"], unique=False)
        batch_op.create_index("ix_audit_events_subject_user", ["subject_user_id", "created_at"], unique=False)
        batch_op.create_index("ix_audit_events_action", ["action", "created_at"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    # Events already recorded: the person is the "user:N" subject, or the learner named in the details.
    connection = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer))
    events = sa.table("audit_events", sa.column("id", sa.Integer), sa.column("subject", sa.String),
                      sa.column("details", sa.Text), sa.column("subject_user_id", sa.Integer))
    for event_id, subject, details in connection.execute(sa.select(events.c.id, events.c.subject, events.c.details)):
        person = None
        if subject and subject.startswith("user:") and subject[5:].isdigit():
            person = int(subject[5:])
        else:
            try:
                person = (json.loads(details) if details else {}).get("learner_id")
            except (ValueError, AttributeError):
                person = None
        if isinstance(person, int) and connection.execute(sa.select(users.c.id).where(users.c.id == person)).first():
            connection.execute(sa.update(events).where(events.c.id == event_id).values(subject_user_id=person))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_action")
        batch_op.drop_index("ix_audit_events_subject_user")
        batch_op.drop_index("ix_audit_events_actor")
        batch_op.drop_constraint(batch_op.f("fk_audit_events_subject_user_id_users"), type_="foreignkey")
        batch_op.drop_column("subject_user_id")
