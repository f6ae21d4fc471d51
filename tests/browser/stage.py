"""Setting the stage for browser tests inside the served app (what a test walks through is done in the browser)."""

from __future__ import annotations

from lms.extensions import db
from lms.models import User

from ..conftest import PASSWORD
from ..evidence_helpers import REFLECTION


def user(email: str) -> User:
    return db.session.execute(db.select(User).where(User.email == email)).scalar_one()


def accept_units(learner_email: str, assessor_email: str, slugs: list[str]) -> None:
    """Evidence for these units submitted by the learner and accepted at Proficient by the assessor."""
    from lms.assessment import services as assessment
    from lms.content_store import catalogue
    from lms.evidence import services as evidence

    learner, assessor = user(learner_email), user(assessor_email)
    for slug in slugs:
        task = catalogue().unit(slug).task
        version = evidence.save_draft(learner, slug, evidence.DraftInput(
            REFLECTION, "", 0, checklist_ticked=tuple(task.checklist)), submit=True).version
        assessment.claim(assessor, version.id)
        assessment.decide(assessor, assessment.Decision(
            version.id, "accepted", "Clear and well evidenced.",
            tuple(assessment.IndicatorJudgement(i, 2, "") for i in task.indicator_ids)))


def submission_code(learner_email: str, slug: str) -> str:
    """The blind code of the learner's latest submission for this unit (what an assessor sees)."""
    from lms.assessment.models import MarkingCase

    return db.session.execute(
        db.select(MarkingCase.code).where(MarkingCase.learner_id == user(learner_email).id,
                                          MarkingCase.unit_slug == slug).order_by(MarkingCase.version_id.desc())
    ).scalars().first()


def make_user(email: str, name: str, roles: tuple[str, ...]) -> int:
    """An account with these roles and the tests' password."""
    from lms.auth import services

    return services.create_user(email, name, PASSWORD, roles).id
