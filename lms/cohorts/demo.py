"""Demo data for the programme pages: a cohort of thirty mentors at different stages, made through the
real services (accounts, enrolment, evidence, assessment, badges), so every report has numbers."""

from __future__ import annotations

import random
from datetime import timedelta

from ..content_store import catalogue
from ..assessment.models import MarkingCase
from ..evidence.models import EvidenceVersion
from ..extensions import db
from ..models import User
from ..domain.cohort_plan import PlanTarget
from . import people, services

DEMO_COHORT = "Demo intake 2026"
FIRST_NAMES = ("Anjali", "Bertrand", "Chantal", "Deepak", "Elodie", "Fazila", "Gaël", "Hemraj", "Isabelle",
               "Jayesh", "Kavita", "Laurent", "Marie-Claire", "Nitin", "Océane", "Pravin", "Rachna", "Stéphane",
               "Tania", "Vikash", "Yasmine", "Zaheer", "Ashwina", "Brigitte", "Cédric", "Divya", "Fabrice",
               "Gitanjali", "Kevin", "Leela")
SURNAMES = ("Appadoo", "Bholah", "Curpen", "Dookhun", "Emrith", "Fok", "Gopee", "Hurry", "Jeetun", "Koonjul",
            "Labonne", "Moothoo", "Nuckchady", "Pillay", "Ramjan", "Seeruttun", "Toolsee", "Veerasamy")
SCHOOLS = (("Demo State College, Port Louis", "Port Louis"), ("Demo SSS, Rose-Hill", "Plaines Wilhems"),
           ("Demo College, Triolet", "Pamplemousses"), ("Demo SSS, Flacq", "Flacq"),
           ("Demo College, Mahébourg", "Grand Port"))
# How far each of the thirty has come: (units with evidence accepted, then one returned "not yet",
# then one waiting for assessment, then one merely read). The first one has done everything.
STAGES = ((19, 0, 0, 0),) + ((7, 1, 1, 0),) * 2 + ((3, 0, 0, 0),) * 3 + ((4, 1, 0, 0),) * 3 + \
         ((2, 0, 1, 0),) * 4 + ((1, 1, 0, 0),) * 3 + ((0, 0, 1, 0),) * 5 + ((0, 0, 0, 1),) * 4 + ((0, 0, 0, 0),) * 5
REFLECTIONS = (
    "My student educator and I planned a Form 1 lesson together, then she taught it while I observed with "
    "three agreed focus questions. Afterwards she spoke first about what went well and what surprised her. I "
    "used the pupils' exercise books as our evidence rather than my impressions, and we chose one change for "
    "her next lesson: checking understanding before the group task instead of after it.",
    "This unit made me look again at how I give feedback. I used to list everything I noticed. This fortnight "
    "I limited myself to one strength and one next step per lesson, each tied to something a pupil said or "
    "wrote. My student educator now keeps a short log of the next steps and tells me at the start of each "
    "meeting what she tried. Our meetings are shorter and she does more of the talking.",
)


# The cohort's second assessor, a lead assessor: gives the second mark when a first mark needs one.
SECOND_MARKER = ("vidya@demo.example.org", "Vidya Ramphul")


def seed_demo_cohort(lead_email: str, assessor_email: str, learner_email: str) -> None:
    """Create the demo cohort with its plan, thirty learners at different stages, its assessors, and the
    demo learner in it. Idempotent: each piece is made only when missing."""
    lead = _user(lead_email)
    assessor = _user(assessor_email)
    second = people.user_by_email(SECOND_MARKER[0]) or people.create_person(
        None, SECOND_MARKER[1], SECOND_MARKER[0], "Demo Institute", "", ("assessor", "lead_assessor"))
    today = services.today()
    cat = catalogue()
    cohort = services.cohort_by_name(DEMO_COHORT)
    if cohort is None:
        cohort = services.create_cohort(lead, DEMO_COHORT, today - timedelta(days=70), today + timedelta(days=110))
        first = next(u for u in cat.units if getattr(u, "task", None) is not None)
        plan = [PlanTarget("unit", first.slug, today - timedelta(days=50))]
        plan += [PlanTarget("domain", d.id, today + timedelta(days=days))
                 for d, days in zip(cat.framework.domains, (5, 40, 75, 105))]
        services.update_cohort(lead, cohort.id, cohort.name, cohort.starts_on, cohort.ends_on, plan)
    for marker in (assessor, second):
        if marker is not None:
            services.assign_assessor(lead, cohort.id, marker.id)
    demo_learner = _user(learner_email)
    if demo_learner is not None and services.membership(demo_learner.id) is None:
        services.enrol(lead, demo_learner, cohort)

    rng = random.Random(2026)
    assessed = [u for u in cat.units if getattr(u, "task", None) is not None]
    for n, stage in enumerate(STAGES):
        name = f"{FIRST_NAMES[n]} {SURNAMES[(n * 7) % len(SURNAMES)]}"
        school, region = SCHOOLS[n % len(SCHOOLS)]
        email = f"mentor{n + 1:02d}@demo.example.org"
        person = people.user_by_email(email) or people.create_person(lead, name, email, school, region)
        if services.membership(person.id) is None:
            services.enrol(lead, person, cohort)
        if not _has_started(person):
            _work(person, (assessor, second), assessed, stage, random.Random(rng.random()))
    # One learner who has not submitted yet was given two months more for every target.
    extended = services.membership(people.user_by_email("mentor26@demo.example.org").id)
    if extended.extension_days != 60:
        services.extend(lead, extended.user_id, 60)


def _has_started(user: User) -> bool:
    from ..models import UnitProgress
    from ..evidence.models import Submission
    return bool(db.session.execute(db.select(Submission.id).where(Submission.learner_id == user.id).limit(1)).first()
                or db.session.execute(db.select(UnitProgress.id).where(UnitProgress.user_id == user.id).limit(1))
                .first())


def _reflection(unit, rng: random.Random) -> str:
    """A reflection at least as long as the unit's task asks: one of ours, then the demo's practice paragraphs."""
    from ..cli import DEMO_PRACTICE
    from ..domain.units import count_words

    minimum = unit.task.min_words or 0
    paragraphs = REFLECTIONS[rng.randrange(len(REFLECTIONS))].split("\n\n") + DEMO_PRACTICE.split("\n\n")
    text, taken = paragraphs[0], 1
    while count_words(text) < minimum:
        text += "\n\n" + paragraphs[taken % len(paragraphs)]
        taken += 1
    return text


def _second_opinion(decision, rubric, rng: random.Random):
    """An independent second mark of the same outcome: in about two cases of five, one indicator a level
    higher (accepted evidence) or lower ("not yet"), which the agreement statistics then count."""
    from dataclasses import replace

    judgements = list(decision.judgements)
    if not judgements or rng.random() >= 0.4:
        return decision
    values = [level.value for level in rubric.levels]
    index = rng.randrange(len(judgements))
    moved = judgements[index].level + (1 if decision.outcome == "accepted" else -1)
    if moved not in values:
        return decision
    judgements[index] = replace(judgements[index], level=moved)
    return replace(decision, judgements=tuple(judgements))


def _decided(version_id: int) -> bool:
    from ..assessment.models import Assessment
    return db.session.execute(db.select(Assessment.id).where(Assessment.version_id == version_id)).first() is not None


def _user(email: str) -> User | None:
    return db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()


def _work(learner: User, markers: tuple, units, stage, rng: random.Random) -> None:
    """The learner's evidence through the real services; submission times spread over past weeks."""
    from ..assessment import services as assessment
    from ..evidence import services as evidence
    from ..learning.services import mark_complete

    accepted, not_yet, waiting, read = stage
    if markers[0] is None:
        accepted = not_yet = 0
    if any(stage):  # everyone who has begun has worked through the orientation units (no evidence task)
        for unit in catalogue().units:
            if getattr(unit, "task", None) is None:
                mark_complete(learner, unit.slug)
    rubric = catalogue().rubric
    queue = list(units)
    for outcome, count in (("accepted", accepted), ("not_yet", not_yet), ("waiting", waiting)):
        for _ in range(count):
            unit = queue.pop(0)
            saved = evidence.save_draft(learner, unit.slug, evidence.DraftInput(
                reflection=_reflection(unit, rng), links_text="", expected_revision=0,
                checklist_ticked=tuple(unit.task.checklist)), submit=True)
            hours = rng.choice((3, 9, 20, 30, 46, 70, 100, 160, 260, 380))
            if outcome != "waiting":
                level = rubric.level_by_id("proficient" if outcome == "accepted" else "emerging").value
                feedback = "" if outcome == "accepted" else (
                    "You describe the lesson well. Add what your student educator did differently afterwards "
                    "and what the pupils' work showed, so the change can be seen.")
                decision = assessment.Decision(saved.version.id, outcome, feedback,
                                               tuple(assessment.IndicatorJudgement(i, level, "")
                                                     for i in unit.task.indicator_ids))
                # A second mark when the first is not final on its own: the same outcome, now and then one
                # indicator a level apart (within the tolerance), so the agreement figures are real ones.
                for marker, given in zip(markers, (decision, _second_opinion(decision, rubric, rng))):
                    if marker is None or _decided(saved.version.id):
                        break
                    assessment.claim(marker, saved.version.id)
                    assessment.decide(marker, given)
            # Demo only: the evidence was handed in some hours before it was decided (or before now); the
            # marking case keeps its own copy of the time, which the queue and the turnaround figures read.
            version = db.session.get(EvidenceVersion, saved.version.id)
            version.submitted_at = version.submitted_at - timedelta(hours=hours)
            case = db.session.get(MarkingCase, saved.version.id)
            if case is not None:
                case.submitted_at = case.submitted_at - timedelta(hours=hours)
            db.session.commit()
    for unit in queue[:read]:
        mark_complete(learner, unit.slug)
