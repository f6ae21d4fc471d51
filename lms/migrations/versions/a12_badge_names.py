"""badges keep the name they were issued with: badge_name and badge_description on each assertion

Revision ID: a12_badge_names
Revises: a9_creds

Badge classes took the framework's exact competency and domain titles. An assertion now stores the
name and description it was issued with; existing assertions are filled with the ones in force
until this revision (below, as they were in badges/badges.yaml), which is what they were issued with.
"""
from alembic import op
import sqlalchemy as sa


revision = "a12_badge_names"
down_revision = "a9_creds"
branch_labels = None
depends_on = None

# badges/badges.yaml before this revision: class id -> (name, description). Frozen here on purpose:
# a migration must not read content files that change after it.
ISSUED_AS = {
    "SDS": (
        'MCF Mentor: Specialised development of self',
        'The holder understands mentoring through its theories, roles and ethics, sees themselves as a mentor, and charts their own growth in the role through critical reflection.',
    ),
    "CDM": (
        'MCF Mentor: Commitment to the development of self and mentees',
        "The holder keeps their subject, curriculum and assessment knowledge current and uses it to grow their student educator's practice, learning with and from their mentee.",
    ),
    "INN": (
        'MCF Mentor: Innovation and creativity',
        'The holder creates openings for new ideas in the classroom, tries new strategies and tools with their student educator, and reflects critically on what the change achieved.',
    ),
    "COM": (
        'MCF Mentor: Communication',
        'The holder listens actively, asks questions that make a student educator think, gives constructive feedback and keeps formal and informal messages clear.',
    ),
    "COL": (
        'MCF Mentor: Collaboration',
        'The holder sets shared goals with their student educator, works towards them together and keeps a climate of care, trust and respect in which ideas can be shared.',
    ),
    "PRS": (
        'MCF Mentor: Problem-solving',
        'The holder analyses conflicts and misunderstandings as they arise, responds to them creatively and constructively, and evaluates their own problem-solving.',
    ),
    "DSP": (
        'MCF Mentor: Effective dispositions',
        'The holder shows care and respect for other points of view, promotes agency and wellbeing for themselves and their student educator, and reflects on their own values and emotions.',
    ),
    "PI": (
        'MCF Domain: Professional Identity',
        'The holder has achieved every competency of the Professional Identity domain: a well-founded and reflective identity as a mentor of student educators.',
    ),
    "PKS": (
        'MCF Domain: Professional Knowledge and Skills',
        'The holder has achieved every competency of the Professional Knowledge and Skills domain: current subject and pedagogical knowledge, used creatively to develop a student educator.',
    ),
    "PR": (
        'MCF Domain: Professional Relationships',
        'The holder has achieved every competency of the Professional Relationships domain: communication, collaboration and problem-solving with a student educator.',
    ),
    "PD": (
        'MCF Domain: Professional Dispositions',
        'The holder has achieved every competency of the Professional Dispositions domain: the care, respect, ethics and reflective habits of an effective mentor.',
    ),
    "MCF": (
        'Certified Mentor: MCF Mentoring Micro-credential',
        'The holder has completed the micro-credential in teacher mentoring built on the Mentoring Competency Framework of the Mauritius Institute of Education, achieving all seven competencies across its four domains.',
    ),
}


def upgrade():
    # SQLite alters by rebuilding the table (batch mode); env.py turns foreign keys off while migrating,
    # so rebuilding badge_assertions does not cascade into badge_images.
    with op.batch_alter_table("badge_assertions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("badge_name", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("badge_description", sa.Text(), nullable=False, server_default=""))
    assertions = sa.table("badge_assertions", sa.column("badge_class_id", sa.String),
                          sa.column("badge_name", sa.String), sa.column("badge_description", sa.Text))
    for class_id, (name, description) in ISSUED_AS.items():
        op.execute(assertions.update().where(assertions.c.badge_class_id == class_id)
                   .values(badge_name=name, badge_description=description))
    # A class unknown here (none today) keeps its id as its name rather than an empty one.
    op.execute(assertions.update().where(assertions.c.badge_name == "")
               .values(badge_name=assertions.c.badge_class_id))
    # The defaults only fill existing rows; every new row gets its values at issuance.
    with op.batch_alter_table("badge_assertions", schema=None) as batch_op:
        batch_op.alter_column("badge_name", server_default=None)
        batch_op.alter_column("badge_description", server_default=None)


def downgrade():
    with op.batch_alter_table("badge_assertions", schema=None) as batch_op:
        batch_op.drop_column("badge_description")
        batch_op.drop_column("badge_name")
