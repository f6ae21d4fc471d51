"""Cohort operations: the one place that writes cohorts, their plans, learners and assessors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError

from ..auth.services import audit
from ..content_store import catalogue
from ..domain.cohort_plan import LearnerPlan, PlanTarget, learner_plan, plan_problems
from ..evidence.models import EvidenceVersion, Submission
from ..extensions import db
from ..models import UnitProgress, User, UserRole, utcnow
from .models import Cohort, CohortAssessor, CohortLearner, CohortTarget

MAX_EXTENSION_DAYS = 365


class CohortError(Exception):
    """A cohort operation that cannot be done; the message is for the programme lead."""


@dataclass(frozen=True)
class CohortSummary:
    """A cohort with its head counts, for lists."""

    cohort: Cohort
    learners: int
    assessors: int


def today() -> date:
    """Today's date in UTC, the one calendar the programme runs on."""
    return utcnow().date()


def cohorts() -> list[CohortSummary]:
    """Every cohort, newest start first, with its numbers of learners and assessors (one query)."""
    learners = (db.select(db.func.count()).select_from(CohortLearner)
                .where(CohortLearner.cohort_id == Cohort.id).scalar_subquery())
    assessors = (db.select(db.func.count()).select_from(CohortAssessor)
                 .where(CohortAssessor.cohort_id == Cohort.id).scalar_subquery())
    rows = db.session.execute(db.select(Cohort, learners, assessors)
                              .order_by(Cohort.starts_on.desc(), Cohort.name)).all()
    return [CohortSummary(c, n, a) for c, n, a in rows]


def cohort_by_name(name: str) -> Cohort | None:
    """The cohort with this name (compared without regard to case or surrounding spaces)."""
    return db.session.execute(db.select(Cohort).where(db.func.lower(Cohort.name) == name.strip().lower())
                              ).scalar_one_or_none()


def create_cohort(actor: User | None, name: str, starts_on: date, ends_on: date) -> Cohort:
    """Create a cohort; raises CohortError for a taken name or dates out of order."""
    name = " ".join(name.split())
    if not name:
        raise CohortError("Give the cohort a name.")
    if len(name) > 120:
        raise CohortError("The name must be at most 120 characters long.")
    problems = plan_problems(catalogue(), starts_on, ends_on, [])
    if problems:
        raise CohortError(" ".join(problems))
    if cohort_by_name(name) is not None:
        raise CohortError(f"There is already a cohort called “{name}”. Choose another name.")
    cohort = Cohort(name=name, starts_on=starts_on, ends_on=ends_on)
    db.session.add(cohort)
    try:
        db.session.flush()
    except IntegrityError:  # the same name created a moment ago elsewhere
        db.session.rollback()
        raise CohortError(f"There is already a cohort called “{name}”. Choose another name.") from None
    audit(actor, "cohort.created", f"cohort:{cohort.id}", name=name, starts_on=starts_on.isoformat(),
          ends_on=ends_on.isoformat())
    db.session.commit()
    return cohort


def update_cohort(actor: User, cohort_id: int, name: str, starts_on: date, ends_on: date,
                  plan: list[PlanTarget]) -> Cohort:
    """Change a cohort's name, dates and placement plan (the plan is replaced as a whole)."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise CohortError("That cohort no longer exists.")
    name = " ".join(name.split())
    if not name:
        raise CohortError("Give the cohort a name.")
    problems = plan_problems(catalogue(), starts_on, ends_on, plan)
    if problems:
        raise CohortError(" ".join(problems))
    other = cohort_by_name(name)
    if other is not None and other.id != cohort.id:
        raise CohortError(f"There is already a cohort called “{name}”. Choose another name.")
    cohort.name, cohort.starts_on, cohort.ends_on = name, starts_on, ends_on
    wanted = {(t.kind, t.ref): t.due_on for t in plan}
    for target in list(cohort.targets):
        if (target.kind, target.ref) not in wanted:
            cohort.targets.remove(target)
        else:
            target.due_on = wanted.pop((target.kind, target.ref))
    for (kind, ref), due_on in wanted.items():
        cohort.targets.append(CohortTarget(kind=kind, ref=ref, due_on=due_on))
    audit(actor, "cohort.updated", f"cohort:{cohort.id}", name=name, starts_on=starts_on.isoformat(),
          ends_on=ends_on.isoformat(), targets={f"{t.kind}:{t.ref}": t.due_on.isoformat() for t in plan})
    db.session.commit()
    return cohort


def membership(user_id: int) -> CohortLearner | None:
    """The learner's place in a cohort, if they have one."""
    return db.session.get(CohortLearner, user_id)


def enrol(actor: User | None, user: User, cohort: Cohort, commit: bool = True) -> bool:
    """Put a learner in a cohort; False when they already are in it. Raises CohortError if in another."""
    current = membership(user.id)
    if current is not None:
        if current.cohort_id == cohort.id:
            return False
        raise CohortError(f"{user.name} is already in the cohort “{current.cohort.name}”. "
                          f"Move them from the cohort page instead.")
    if "learner" not in user.roles:
        user.role_rows.append(UserRole(role="learner"))
    db.session.add(CohortLearner(user_id=user.id, cohort_id=cohort.id))
    audit(actor, "cohort.enrolled", f"user:{user.id}", cohort=cohort.name)
    if commit:
        try:
            db.session.commit()
        except IntegrityError:  # enrolled a moment ago elsewhere
            db.session.rollback()
            raise CohortError(f"{user.name} was enrolled in a cohort a moment ago; reload the page.") from None
    return True


def move_learner(actor: User, user_id: int, to_cohort_id: int, expected_cohort_id: int) -> CohortLearner:
    """Move a learner to another cohort; refused if someone moved them since the page was loaded.

    Their own extension is kept: it was granted to the person, not to the cohort's dates.
    """
    target = db.session.get(Cohort, to_cohort_id)
    if target is None:
        raise CohortError("Choose a cohort to move the learner to.")
    if to_cohort_id == expected_cohort_id:
        raise CohortError(f"The learner is already in “{target.name}”; nothing was changed.")
    result = db.session.execute(
        db.update(CohortLearner)
        .where(CohortLearner.user_id == user_id, CohortLearner.cohort_id == expected_cohort_id)
        .values(cohort_id=to_cohort_id)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise CohortError("This learner was moved or removed by someone else meanwhile; nothing was changed. "
                          "Reload the page to see where they are now.")
    source = db.session.get(Cohort, expected_cohort_id)
    audit(actor, "cohort.learner_moved", f"user:{user_id}", **{"from": source.name if source else None,
                                                              "to": target.name})
    db.session.commit()
    return membership(user_id)


def extend(actor: User, user_id: int, days: int) -> CohortLearner:
    """Set how many days one learner's target dates are extended by (0 takes the extension back)."""
    if not 0 <= days <= MAX_EXTENSION_DAYS:
        raise CohortError(f"Give an extension between 0 and {MAX_EXTENSION_DAYS} days.")
    member = membership(user_id)
    if member is None:
        raise CohortError("This person is not in a cohort.")
    old = member.extension_days
    member.extension_days = days
    audit(actor, "cohort.extended", f"user:{user_id}", cohort=member.cohort.name, old_days=old, days=days)
    db.session.commit()
    return member


def assign_assessor(actor: User, cohort_id: int, user_id: int) -> bool:
    """Assign an assessor to a cohort; False when already assigned."""
    user = db.session.get(User, user_id)
    cohort = db.session.get(Cohort, cohort_id)
    if user is None or cohort is None:
        raise CohortError("That person or cohort no longer exists.")
    if not user.has_role("assessor", "lead_assessor"):
        raise CohortError(f"{user.name} is not an assessor. Give them the assessor role first.")
    if db.session.get(CohortAssessor, (cohort_id, user_id)) is not None:
        return False
    db.session.add(CohortAssessor(cohort_id=cohort_id, user_id=user_id))
    audit(actor, "cohort.assessor_assigned", f"user:{user_id}", cohort=cohort.name)
    try:
        db.session.commit()
    except IntegrityError:  # a double click
        db.session.rollback()
        return False
    return True


def unassign_assessor(actor: User, cohort_id: int, user_id: int) -> bool:
    """Take an assessor off a cohort; False when they were not assigned."""
    row = db.session.get(CohortAssessor, (cohort_id, user_id))
    if row is None:
        return False
    cohort = db.session.get(Cohort, cohort_id)
    db.session.delete(row)
    audit(actor, "cohort.assessor_unassigned", f"user:{user_id}", cohort=cohort.name)
    db.session.commit()
    return True


def assessors_of(cohort_id: int) -> list[User]:
    """The cohort's assigned assessors, by name."""
    return list(db.session.execute(db.select(User).join(CohortAssessor, CohortAssessor.user_id == User.id)
                                   .where(CohortAssessor.cohort_id == cohort_id).order_by(User.name)
                                   .options(db.lazyload(User.role_rows))).scalars())


def assessor_candidates(cohort_id: int) -> list[User]:
    """Active assessors not yet assigned to the cohort, by name."""
    assigned = db.select(CohortAssessor.user_id).where(CohortAssessor.cohort_id == cohort_id)
    return list(db.session.execute(
        db.select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_(("assessor", "lead_assessor")), User.active.is_(True), User.id.not_in(assigned))
        .distinct().order_by(User.name).options(db.lazyload(User.role_rows))).scalars())


def cohorts_of_assessor(user_id: int) -> set[int]:
    """The ids of the cohorts an assessor is assigned to."""
    return set(db.session.execute(db.select(CohortAssessor.cohort_id).where(CohortAssessor.user_id == user_id)
                                  ).scalars())


def cohort_learner_ids(cohort_id: int):
    """A SQL subquery of the ids of a cohort's learners, for filtering other queries (the assessment queue).

    Use as ``Submission.learner_id.in_(cohort_learner_ids(cohort_id))``.
    """
    return db.select(CohortLearner.user_id).where(CohortLearner.cohort_id == cohort_id)


def done_units(user_ids) -> dict[int, set[str]]:
    """For each learner, the units done for the placement plan: evidence submitted, or (for a unit
    without an evidence task) marked complete. ``user_ids`` is a list or a SQL subquery of ids.
    One statement."""
    query = (db.select(Submission.learner_id, Submission.unit_slug).join(EvidenceVersion)
             .where(Submission.learner_id.in_(user_ids), EvidenceVersion.submitted_at.is_not(None)))
    without_task = [u.slug for u in catalogue().units if getattr(u, "task", None) is None]
    if without_task:
        query = db.union(query, db.select(UnitProgress.user_id, UnitProgress.unit_slug)
                         .where(UnitProgress.user_id.in_(user_ids), UnitProgress.unit_slug.in_(without_task)))
    else:
        query = query.distinct()
    done: dict[int, set[str]] = {}
    for user_id, slug in db.session.execute(query):
        done.setdefault(user_id, set()).add(slug)
    return done


def plan_for(user: User) -> tuple[Cohort, LearnerPlan] | None:
    """The learner's cohort and where they stand against its plan; None when not in a cohort.
    Two statements: the cohort with its plan, and the units done."""
    member = db.session.execute(
        db.select(CohortLearner).where(CohortLearner.user_id == user.id)
        .options(db.joinedload(CohortLearner.cohort).joinedload(Cohort.targets))).unique().scalar_one_or_none()
    if member is None:
        return None
    done = done_units([user.id]).get(user.id, set())
    return member.cohort, learner_plan(catalogue(), member.cohort.plan, done, today(), member.extension_days)
