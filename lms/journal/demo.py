"""Demo data for the journal: a mentee, meetings, a SMART goal with its review, and the mentee's feedback."""

from __future__ import annotations

from datetime import timedelta

from ..extensions import db
from ..models import User, utcnow
from . import services
from .models import JournalEntry


def seed_journal(learner: User | None) -> None:
    """Give the demo learner a journal (idempotent: nothing is added once they have entries)."""
    if learner is None or db.session.execute(db.select(JournalEntry.id).where(
            JournalEntry.learner_id == learner.id)).first():
        return
    mentee = services.add_mentee(learner, "Ravi")
    today = utcnow().date()

    def day(days_ago: int) -> str:
        return (today - timedelta(days=days_ago)).isoformat()

    services.save_entry(learner, services.EntryInput(
        "meeting", day(26), "First meeting: expectations for School-Based Experience",
        "We agreed how often we meet, what I observe, and what I pass on to his MIE tutor.",
        "Wednesday meetings at 13:30, thirty minutes; he chooses the focus of each observation.", mentee.id))
    goal = services.save_entry(learner, services.EntryInput(
        "goal", day(21), "Ask at least three open questions in every Form 3 lesson by the end of week 6",
        "Ravi noticed that his questions only had one-word answers.",
        "I tally open questions in my observation notes; he reviews a lesson recording once a week.", mentee.id))
    services.save_entry(learner, services.EntryInput(
        "observation", day(14), "Form 3B, fractions lesson",
        "Four open questions; pupils at the back answered twice. Wait time still short (about one second).", "",
        mentee.id))
    services.save_entry(learner, services.EntryInput(
        "goal_review", day(7), "Halfway review", "Three or more open questions in four of five lessons observed.",
        "Next: wait three seconds before taking an answer.", mentee.id, goal.id))
    token = services.request_feedback(learner, mentee.id)
    services.submit_feedback(token, {"listening": "Always", "feedback": "Mostly", "respect": "Always",
                                     "agency": "Mostly"},
                             "You let me try my own ideas first, then we look at what happened. More written "
                             "notes after observations would help me.")
