"""Agreement and turnaround over real double marks: first and blind second marks through the marking code."""

from __future__ import annotations

import json

from lms.content_store import catalogue
from lms.extensions import db

from .conftest import signed_in


def _double_mark(app, learner_email: str, slug: str, first_levels, second_levels):
    """A learner submits; an uncalibrated assessor marks first, a lead assessor marks second (blind)."""
    from lms.assessment import services as assessment
    from lms.auth.services import create_user
    from lms.evidence import services as evidence
    from lms.models import User

    with app.test_request_context():
        def person(email, name, roles):
            user = db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
            return user or create_user(email, name, "correct horse battery", roles)
        learner = person(learner_email, "Learner " + learner_email[:3], "learner")
        first = person("first@example.org", "Fiona First", "assessor")
        second = person("second@example.org", "Sanjay Second", ("assessor", "lead_assessor"))
        unit = catalogue().unit(slug)
        version_id = evidence.save_draft(learner, slug, evidence.DraftInput(
            "A full account of my mentoring conversation. " * 80, "", 0), submit=True).version.id
        for marker, levels in ((first, first_levels), (second, second_levels)):
            assessment.claim(marker, version_id)
            outcome = "accepted" if min(levels) >= 2 else "not_yet"
            assessment.decide(marker, assessment.Decision(
                version_id, outcome, "Feedback for the learner.",
                tuple(assessment.IndicatorJudgement(i, lvl, "") for i, lvl in zip(unit.task.indicator_ids, levels))))
        return unit


def test_double_marks_become_pairs_per_indicator_and_per_assessor(app, make_user):
    # Agreeing within tolerance (finalised), then disagreeing on the outcome (goes to moderation).
    _double_mark(app, "kavita@example.org", "constructive-feedback", (2, 2), (2, 3))
    _double_mark(app, "yannick@example.org", "constructive-feedback", (2, 2), (1, 1))
    result = app.test_cli_runner().invoke(args=["assessment", "agreement", "--json"])
    rows = {r["indicator"]: r for r in json.loads(result.output)}
    # COM.2: (2, 2) and (2, 1): one exact, both within one level. COM.5: (2, 3) and (2, 1): none exact.
    assert (rows["COM.2"]["pairs"], rows["COM.2"]["exact"], rows["COM.2"]["adjacent"]) == (2, 0.5, 1.0)
    assert (rows["COM.5"]["pairs"], rows["COM.5"]["exact"], rows["COM.5"]["adjacent"]) == (2, 0.0, 1.0)
    assert rows["DSP.1"]["pairs"] == 0 and rows["DSP.1"]["kappa"] is None

    lead = signed_in(app, make_user, "lead@example.org", "Lena Lead", "lead_assessor")
    page = lead.get("/statistics").get_data(as_text=True)
    assert "over 2 double-marked submissions" in page
    assert "Fiona First" in page and "Sanjay Second" in page  # per assessor, for lead assessors
    public = app.test_client().get("/agreement").get_data(as_text=True)
    assert "over 2 double-marked submissions" in public
    assert "Fiona First" not in public and "Sanjay Second" not in public and "kavita" not in public
    # One decision final on the day it was submitted (0 working days); one waiting for moderation.
    assert "1 decided, 1 waiting" in public and "100%" in public
