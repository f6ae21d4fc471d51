"""the assessor queue's total from a count per waiting stage and unit kept by triggers, and an index for the
second marks an assessor may not give

Revision ID: a14_queue_counts
Revises: a13_renew
"""
from alembic import op
import sqlalchemy as sa


revision = "a14_queue_counts"
down_revision = "a13_renew"
branch_labels = None
depends_on = None

# The triggers as this revision creates them (lms.assessment.models has the same for create_all).
WAITING_SQL = "('first', 'second')"
# PostgreSQL: one trigger function for insert, update and delete.
QUEUE_COUNT_TRIGGERS_POSTGRESQL = (f"""
CREATE OR REPLACE FUNCTION marking_cases_queue_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.stage IN {WAITING_SQL} THEN
        IF TG_OP = 'UPDATE' AND NEW.stage = OLD.stage AND NEW.unit_slug = OLD.unit_slug THEN
            RETURN NULL;
        END IF;
        UPDATE queue_counts SET n = n - 1 WHERE stage = OLD.stage AND unit_slug = OLD.unit_slug;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.stage IN {WAITING_SQL} THEN
        INSERT INTO queue_counts (stage, unit_slug, n) VALUES (NEW.stage, NEW.unit_slug, 1)
        ON CONFLICT (stage, unit_slug) DO UPDATE SET n = queue_counts.n + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql""", """
CREATE TRIGGER marking_cases_queue_count AFTER INSERT OR DELETE OR UPDATE OF stage, unit_slug ON marking_cases
FOR EACH ROW EXECUTE FUNCTION marking_cases_queue_count()""")
# SQLite: one trigger per kind of change.
_SQLITE_ADD = (f"INSERT INTO queue_counts (stage, unit_slug, n) VALUES (NEW.stage, NEW.unit_slug, 1) "
               f"ON CONFLICT (stage, unit_slug) DO UPDATE SET n = n + 1")
_SQLITE_REMOVE = "UPDATE queue_counts SET n = n - 1 WHERE stage = OLD.stage AND unit_slug = OLD.unit_slug"
QUEUE_COUNT_TRIGGERS_SQLITE = (
    f"""CREATE TRIGGER marking_cases_queue_count_insert AFTER INSERT ON marking_cases
    WHEN NEW.stage IN {WAITING_SQL} BEGIN {_SQLITE_ADD}; END""",
    f"""CREATE TRIGGER marking_cases_queue_count_delete AFTER DELETE ON marking_cases
    WHEN OLD.stage IN {WAITING_SQL} BEGIN {_SQLITE_REMOVE}; END""",
    f"""CREATE TRIGGER marking_cases_queue_count_leave AFTER UPDATE OF stage, unit_slug ON marking_cases
    WHEN OLD.stage IN {WAITING_SQL} AND (NEW.stage != OLD.stage OR NEW.unit_slug != OLD.unit_slug)
    BEGIN {_SQLITE_REMOVE}; END""",
    f"""CREATE TRIGGER marking_cases_queue_count_enter AFTER UPDATE OF stage, unit_slug ON marking_cases
    WHEN NEW.stage IN {WAITING_SQL} AND (NEW.stage != OLD.stage OR NEW.unit_slug != OLD.unit_slug)
    BEGIN {_SQLITE_ADD}; END""",
)
QUEUE_COUNT_TRIGGERS = {"postgresql": QUEUE_COUNT_TRIGGERS_POSTGRESQL, "sqlite": QUEUE_COUNT_TRIGGERS_SQLITE}

DROP_TRIGGERS = {"postgresql": ("DROP TRIGGER IF EXISTS marking_cases_queue_count ON marking_cases",
                           "DROP FUNCTION IF EXISTS marking_cases_queue_count()"),
            "sqlite": tuple(f"DROP TRIGGER IF EXISTS marking_cases_queue_count_{kind}"
                            for kind in ("insert", "delete", "leave", "enter"))}


def upgrade():
    op.create_table(
        "queue_counts",
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("unit_slug", sa.String(length=100), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.CheckConstraint("n >= 0", name=op.f("ck_queue_counts_n_not_negative")),
        sa.PrimaryKeyConstraint("stage", "unit_slug", name=op.f("pk_queue_counts")),
    )
    op.create_index("ix_marking_cases_second_first_marker", "marking_cases", ["first_marker_id"],
                    postgresql_where=sa.text("stage = 'second'"), sqlite_where=sa.text("stage = 'second'"))
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":  # no case may change while the counts are taken and the triggers made
        op.execute("LOCK TABLE marking_cases IN SHARE ROW EXCLUSIVE MODE")
    op.execute("INSERT INTO queue_counts (stage, unit_slug, n) SELECT stage, unit_slug, count(*) FROM marking_cases "
               "WHERE stage IN ('first', 'second') GROUP BY stage, unit_slug")
    for statement in QUEUE_COUNT_TRIGGERS.get(dialect, ()):
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    op.drop_index("ix_marking_cases_second_first_marker", table_name="marking_cases")
    op.drop_table("queue_counts")
