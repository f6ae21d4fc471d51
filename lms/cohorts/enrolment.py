"""Enrolling people from a CSV file: a preview that writes nothing, then a confirm that checks again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from ..domain.enrolment import (CREATE, EnrolmentPlan, ExistingAccount, Finding, check_rows, decode,
                                normalise_email, read_csv)
from ..extensions import db
from ..models import User
from . import people
from .models import Cohort, CohortLearner
from .services import cohort_by_name, enrol


class PlanChanged(Exception):
    """What confirming would do differs from the preview the person saw; nothing was written."""

    def __init__(self, plan: EnrolmentPlan):
        super().__init__("Something changed since the preview (the file, the cohort or the accounts). "
                         "Nothing was imported: check the new preview below and confirm again.")
        self.plan = plan


@dataclass(frozen=True)
class EnrolmentResult:
    """What a confirmed import did."""

    created: int
    enrolled: int
    invited: int
    plan: EnrolmentPlan


def text_of(data: bytes | str) -> tuple[str | None, Finding | None]:
    """The uploaded bytes as text, or the problem that stops reading them."""
    return (data, None) if isinstance(data, str) else decode(data)


def preview(text: str, chosen_cohort: str | None) -> EnrolmentPlan:
    """Check the file against the cohorts and accounts as they are now; writes nothing."""
    parsed = read_csv(text)
    emails = {normalise_email(r.email) for r in parsed.rows if r.email}
    existing: dict[str, ExistingAccount] = {}
    if emails:
        rows = db.session.execute(
            db.select(User.email, User.active, Cohort.name)
            .outerjoin(CohortLearner, CohortLearner.user_id == User.id)
            .outerjoin(Cohort, Cohort.id == CohortLearner.cohort_id)
            .where(User.email.in_(sorted(emails))))
        existing = {email: ExistingAccount(email, active, cohort) for email, active, cohort in rows}
    names = db.session.execute(db.select(Cohort.name)).scalars().all()
    chosen = cohort_by_name(chosen_cohort).name if chosen_cohort and cohort_by_name(chosen_cohort) else None
    return check_rows(parsed, chosen, names, existing)


def confirm(actor: User | None, text: str, chosen_cohort: str | None, expected: str | None) -> EnrolmentResult:
    """Check the file again and apply its valid rows in one transaction, inviting the new people.

    The preview is never trusted: when the fresh check differs from what was previewed
    (``expected`` is the preview's fingerprint), PlanChanged is raised and nothing is written.
    Rows already done are notices, so the same file imported twice changes nothing the second time.
    """
    plan = preview(text, chosen_cohort)
    if expected is not None and plan.fingerprint() != expected:
        raise PlanChanged(plan)
    cohorts = {c.name: c for c in db.session.execute(db.select(Cohort)).scalars()}
    created: list[User] = []
    enrolled = 0
    try:
        for row in plan.actions:
            if row.action == CREATE:
                user = people.create_person(actor, row.name, row.email, row.school, row.region, ("learner",),
                                            commit=False)
                created.append(user)
            else:
                user = people.user_by_email(row.email)
            enrolled += enrol(actor, user, cohorts[row.cohort], commit=False)
        invited = invite_new_people(created, actor)
        db.session.commit()
    except IntegrityError:  # someone created or enrolled one of these people at the same moment
        db.session.rollback()
        raise PlanChanged(preview(text, chosen_cohort)) from None
    except Exception:
        db.session.rollback()
        raise
    return EnrolmentResult(len(created), enrolled, invited, plan)


def invite_new_people(users: list[User], actor: User | None) -> int:
    """Invite each newly created person to choose a password, in the same transaction as their account
    (the invitation is mailed only if that transaction commits). Needs a request context for the links."""
    from ..auth.accounts import invite

    for user in users:
        invite(user, actor)
    return len(users)
