"""Every page, as each kind of person sees it, checked at 1280 and 390 px (axe-core WCAG 2.1 A/AA, sideways
scroll, console errors, weight, one-line header); the admin's roles and revocation; evidence with scripts off."""

from __future__ import annotations

import re

import pytest

from . import stage
from .conftest import ASSESSOR, sign_in

pytestmark = pytest.mark.browser

LEARNER = "learner@demo.example.org"
ADMIN = "admin@demo.example.org"
PROGRAMME = "programme@demo.example.org"
DEMO_ASSESSOR = "assessor@demo.example.org"


def hrefs(audit, selector: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` distinct same-site paths of the links matching ``selector`` on the page shown."""
    found = []
    for href in audit.page.eval_on_selector_all(selector, "links => links.map(a => a.href)"):
        path = href.removeprefix(audit.site.base).split("#")[0]
        if path.startswith("/") and path not in found:
            found.append(path)
    return found[:limit]


def test_public_pages(site, open_audit):
    visitor = open_audit()
    for path in ["/", "/login", "/register", "/account/forgot", "/framework", "/framework/PR", "/framework/COM",
                 "/framework/COM.4", "/badges/classes/DSP/criteria", "/verify", "/agreement", "/mentors"]:
        visitor.visit(path)
    for path in hrefs(visitor, "main a[href*='/mentors/']", 2):
        visitor.visit(path)
    for path in hrefs(visitor, "main a[href*='/b/']", 2):
        visitor.visit(path)
    visitor.visit("/mentors?q=zzzz-nobody")
    visitor.visit("/no-such-page", status=404)
    # The pages emailed links open: an invitation (the demo's) and a password reset.
    visitor.visit(site.link_in_last_email("invited@demo.example.org").removeprefix(site.base))
    visitor.visit("/account/forgot")
    visitor.page.fill("#email", "kavita@demo.example.org")
    visitor.page.click("main #submit")
    visitor.check("/account/forgot (sent)")
    visitor.visit(site.link_in_last_email("kavita@demo.example.org").removeprefix(site.base))
    visitor.assert_clean()


def test_learner_pages(site, open_audit):
    learner = open_audit()
    sign_in(learner, LEARNER)
    learner.visit("/dashboard")
    units = hrefs(learner, "main a[href^='/units/'], main a[href*='/units/']", 40)
    learner.visit("/evidence")
    evidence_pages = hrefs(learner, "main a[href*='/evidence']", 40)
    for path in sorted(set(p for p in units if not p.endswith("/evidence")))[:4]:
        learner.visit(path)
    for path in sorted(set(p for p in evidence_pages + units if p.endswith("/evidence"))):
        learner.visit(path)
    for path in ["/profile", "/my/badges", "/my/profile", "/my/data", "/notifications", "/notifications/settings",
                 "/account", "/account/password", "/account/email", "/journal", "/journal/print"]:
        learner.visit(path)
    for path in hrefs(learner, "main a[href*='/journal/entries/']", 1):
        learner.visit(path)
    # A feedback link for the mentee: the public form it opens.
    learner.visit("/journal")
    if learner.page.locator("text=Make a feedback link").count():
        learner.page.click("text=Make a feedback link")
        learner.check("/journal (feedback link made)")
        link = learner.page.locator("main :text-matches('/feedback/')").first.inner_text()
        path = "/feedback/" + link.split("/feedback/", 1)[1].split()[0]
        mentee = open_audit()
        mentee.visit(path)
        mentee.assert_clean()
    learner.assert_clean()


def test_assessor_pages(site, open_audit):
    assessor = open_audit()
    sign_in(assessor, ASSESSOR[0])
    assessor.visit("/assess")
    assessor.page.locator("table.queue button[type=submit]").first.click()
    assessor.check("/assess/<id> (opened)")
    assessor.visit("/assess/moderation")
    for path in hrefs(assessor, "main a[href*='/assess/moderation/'], main a[href*='/assess/reviews/']", 3):
        assessor.visit(path)
    assessor.visit("/statistics")
    assessor.visit("/calibration")
    assessor.page.click("text=Start a round")
    assessor.check("/calibration/rounds/<id> (started)")
    for path in hrefs(assessor, "main a[href*='/calibration/rounds/']", 1):
        assessor.visit(path)
    assessor.assert_clean()

    demo_assessor = open_audit()
    sign_in(demo_assessor, DEMO_ASSESSOR)
    demo_assessor.visit("/calibration")
    for path in hrefs(demo_assessor, "main a[href*='/calibration/rounds/']", 2):
        demo_assessor.visit(path)
    demo_assessor.assert_clean()


def test_programme_pages(site, open_audit):
    lead = open_audit()
    sign_in(lead, PROGRAMME)
    lead.visit("/programme")
    cohorts = hrefs(lead, "main a[href*='/programme/cohorts/']", 4)
    for path in cohorts:
        lead.visit(path)
    for path in hrefs(lead, "main a[href$='/edit']", 1):
        lead.visit(path)
    lead.visit("/programme/people")
    lead.visit("/programme/enrol")
    lead.page.set_input_files("input[type=file]", files=[{
        "name": "intake.csv", "mimeType": "text/csv",
        "buffer": ("name,email,school\nAmrita Jugnauth,amrita@browser.example.org,Royal College Curepipe\n"
                   "No Email,,Somewhere\n").encode()}])
    lead.page.click("button[name=preview]")
    lead.check("/programme/enrol (preview)")
    lead.assert_clean()


def test_admin_pages_roles_and_revoking(site, open_audit):
    admin = open_audit()
    sign_in(admin, ADMIN)
    admin.visit("/admin/users")
    row = admin.page.locator("tr", has_text="rekha@").first if admin.page.locator("tr", has_text="rekha@").count() \
        else admin.page.locator("tr", has_text="kavita@demo.example.org")
    row.locator("input[value=assessor]").check()
    row.locator("button[type=submit]").click()
    admin.check("/admin/users (role changed)")
    admin.visit("/admin/users?q=demo")
    admin.visit("/admin/audit")
    for path in hrefs(admin, "main a[href*='/erase']", 1):
        admin.visit(path)
    admin.visit("/admin/badges")
    revoke = hrefs(admin, "main a[href$='/revoke']", 1)[0]
    admin.visit(revoke)
    assert "the reason you give is public" in admin.page.inner_text("main")
    admin.page.fill("#reason", "Awarded to the wrong account by mistake")
    admin.page.click("main form [type=submit]")
    admin.check("/admin/badges (revoked)")
    badge_id = revoke.split("/")[-2]

    visitor = open_audit()
    visitor.visit("/verify")
    visitor.page.fill("#url", site.url(f"/badges/assertions/{badge_id}"))
    visitor.page.click("main #submit")
    visitor.check("/verify (a revoked badge)")
    verdict = visitor.page.inner_text("main")
    assert "Revoked on" in verdict and "Awarded to the wrong account by mistake" in verdict
    assert re.search(r"Revoked on\s+\d{4}-\d{2}-\d{2}", verdict)
    visitor.assert_clean()
    admin.assert_clean()


def test_everyone_with_every_role_has_a_one_line_header(site, open_audit):
    email = "all-roles@browser.example.org"
    site.run(stage.make_user, email, "Bhavna Ramgoolam-Seetohul", ("learner", "assessor", "lead_assessor",
                                                                    "programme_lead", "admin"))
    person = open_audit()
    sign_in(person, email, stage.PASSWORD)
    for path in ["/dashboard", "/assess", "/programme", "/admin/users", "/notifications"]:
        person.visit(path)
    person.assert_clean()


def test_evidence_is_submitted_with_javascript_off(site, open_audit):
    email = "no-scripts@browser.example.org"
    site.run(stage.make_user, email, "Devika Appadoo", ("learner",))
    learner = open_audit(javascript=False)
    sign_in(learner, email, stage.PASSWORD)
    slug = "questioning"
    learner.visit(f"/units/{slug}/evidence")
    page = learner.page
    page.fill("#reflection", stage.REFLECTION)
    page.click("#save")
    learner.check(f"/units/{slug}/evidence (saved without scripts)")
    for box in page.locator("input[name=checklist]").all():
        box.check()
    page.click("#submit_for_assessment")
    learner.check(f"/units/{slug}/evidence (submitted without scripts)")
    assert "Submitted" in page.inner_text("main")
    assert site.run(stage.submission_code, email, slug)
    learner.assert_clean()


def test_teaching_exemplars_of_every_unit(site, open_audit):
    from lms.content_store import catalogue

    with site.app.app_context():
        slugs = [unit.slug for unit in catalogue().task_units if catalogue().exemplars(unit.slug) is not None]
    assert slugs
    learner = open_audit()
    sign_in(learner, LEARNER)
    for slug in slugs:
        learner.visit(f"/units/{slug}/exemplars")
    learner.assert_clean()


def test_endorsement_pages(site, open_audit):
    """The endorser's page from the emailed link (no account needed); the earner's endorsements on My badges
    and the public page of the endorsed badge."""
    from lms.badges.demo import PENDING_ENDORSER

    endorser = open_audit()
    endorser.visit(site.link_in_last_email(PENDING_ENDORSER[0]).removeprefix(site.base))
    assert endorser.page.locator("main textarea").count() >= 1  # the statement, on the page a stranger opens
    endorser.assert_clean()
    learner = open_audit()
    sign_in(learner, LEARNER)
    learner.visit("/my/badges")
    for path in hrefs(learner, "main a[href*='/b/']", 3):
        learner.visit(path)
    learner.assert_clean()
