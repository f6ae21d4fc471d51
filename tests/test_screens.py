"""Screens: what the dashboard announces, revoking with confirmation, what /verify explains, the favicon."""

from __future__ import annotations

import pytest

from lms.models import utcnow

from .conftest import submit
from .evidence_helpers import evidence_page
from .test_badges import earner, held  # noqa: F401  (fixture)


def test_the_dashboard_announces_new_badges(app, earner):  # noqa: F811
    page = earner.get("/dashboard").get_data(as_text=True)
    assert "New for you" in page and "You earned the badge" in page and "MCF Mentor: Development of effective dispositions" in page


def test_the_dashboard_and_evidence_page_put_not_yet_feedback_first(app, learner, assessor_client):
    from lms.assessment import services as assessment
    from lms.content_store import catalogue
    from lms.evidence import services as evidence
    from lms.extensions import db
    from lms.models import User

    from .evidence_helpers import REFLECTION

    slug = "questioning"
    with app.test_request_context():
        who = {u.email: u for u in db.session.execute(db.select(User)).scalars()}
        version = evidence.save_draft(who["teacher@example.org"], slug, evidence.DraftInput(REFLECTION, "", 0),
                                      submit=True).version
        assessment.claim(who["assessor@example.org"], version.id)
        assessment.decide(who["assessor@example.org"], assessment.Decision(
            version.id, "not_yet", "Add one question you asked and what the pupil said.",
            tuple(assessment.IndicatorJudgement(i, 1, "") for i in catalogue().unit(slug).task.indicator_ids)))
    dashboard = learner.get("/dashboard").get_data(as_text=True)
    assert "was returned “not yet”" in dashboard and f"/units/{slug}/evidence" in dashboard
    page = evidence_page(learner, slug)
    feedback = page.index("Add one question you asked and what the pupil said.")
    assert feedback < page.index('id="task-heading"')  # above the task, not only in the history


def test_revoking_asks_first_and_says_the_reason_is_public(app, earner, admin_client, client):  # noqa: F811
    public_id = held(app)["DSP"]
    listing = admin_client.get("/admin/badges").get_data(as_text=True)
    assert f"/admin/badges/{public_id}/revoke" in listing and 'name="reason"' not in listing
    confirm = admin_client.get(f"/admin/badges/{public_id}/revoke").get_data(as_text=True)
    assert "the reason you give is public" in confirm and "cannot be undone" in confirm
    refused = submit(admin_client, f"/admin/badges/{public_id}/revoke", {"reason": "  "})
    assert refused.status_code == 400 and "Give a reason" in refused.get_data(as_text=True)
    assert client.get(f"/badges/assertions/{public_id}").status_code == 200  # not revoked by the empty try
    done = submit(admin_client, f"/admin/badges/{public_id}/revoke", {"reason": "Awarded to the wrong account"})
    assert done.status_code == 302

    verdict = submit(client, "/verify", {"url": f"http://localhost/badges/assertions/{public_id}"})
    page = verdict.get_data(as_text=True)
    assert "Revoked on</dt><dd>" + utcnow().strftime("%Y-%m-%d") in page
    assert "Awarded to the wrong account" in page


def test_a_revocation_reason_over_its_stated_limit_is_refused_with_the_text_kept(app, earner, admin_client, client):  # noqa: F811
    from lms.badges import services as badges

    public_id = held(app)["DSP"]
    assert "up to 1,000 characters" in admin_client.get(f"/admin/badges/{public_id}/revoke").get_data(as_text=True)
    reason = "The evidence was submitted under another person's account. " * 20  # 1,200 characters
    refused = submit(admin_client, f"/admin/badges/{public_id}/revoke", {"reason": reason})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "The reason can be at most 1,000 characters." in page
    assert reason.strip() in page.replace("&#39;", "'")
    assert client.get(f"/badges/assertions/{public_id}").status_code == 200  # still valid
    with app.test_request_context():  # the service refuses too, rather than cutting the public text
        with pytest.raises(badges.BadgeError, match="at most 1,000 characters"):
            badges.revoke(None, public_id, reason)


def test_verify_explains_invalid_input_plainly(client):
    page = submit(client, "/verify", {"json_text": "{\"hello\": 1}"}).get_data(as_text=True)
    assert "Not valid" in page and "cannot confirm that this is a genuine badge" in page
    assert "a screenshot or a resized copy loses the data inside it" in page


def test_a_favicon_is_served(client):
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)
    assert client.get("/static/favicon.svg").status_code == 200
    assert client.get("/favicon.ico").location.endswith("/static/favicon.svg")


def test_notifications_come_a_page_at_a_time(app, learner):
    from lms.extensions import db
    from lms.models import User
    from lms.notifications.services import notify

    with app.app_context():
        user = db.session.execute(db.select(User)).scalars().first()
        for number in range(1, 56):
            notify(user.id, f"Message number {number:02d}.", None)
        db.session.commit()
    first = learner.get("/notifications").get_data(as_text=True)
    assert "Message number 55." in first and "Message number 05." not in first and "Page 1 of 2" in first
    second = learner.get("/notifications?page=2").get_data(as_text=True)
    assert "Message number 05." in second and "Message number 55." not in second
