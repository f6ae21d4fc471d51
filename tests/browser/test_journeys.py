"""The learner's, the assessor's and the admin's journeys in a real browser, every page checked on the way
(axe-core WCAG 2.1 A/AA, sideways scroll at 1280 and 390 px, console errors, weight, one-line header)."""

from __future__ import annotations

import pytest

from . import stage
from .conftest import ASSESSOR, sign_in

pytestmark = pytest.mark.browser

NEW_LEARNER = ("rekha@browser.example.org", "Rekha Dookhun", "a long and unguessable passphrase")
# Two of the three units of the Dispositions competency (DSP) are accepted before the journey starts:
# the third, walked through in the browser, earns the DSP badge.
ACCEPTED_BEFORE = ["empathy-and-respect", "agency-and-wellbeing"]
UNIT = "dispositions-journal"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SENTENCE = ("In the third week my student educator asked why I always spoke first after her lessons, and "
            "from then on I waited for her to name what she had noticed before saying anything myself. ")
COMMENTARY = SENTENCE * 22  # about 570 words: within the 500 to 700 the task asks for


def test_learner_and_assessor_journey_from_registration_to_a_verified_badge(site, open_audit):
    email, name, password = NEW_LEARNER
    learner = open_audit()
    page = learner.page

    # Register and confirm the address from the emailed link.
    learner.visit("/")
    learner.visit("/register")
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", password)
    page.fill("#confirm", password)
    page.click("main form button[type=submit], main form input[type=submit]")
    learner.check("/register (check your email)")
    assert "email" in page.inner_text("main").lower()
    page.goto(site.link_in_last_email(email))
    learner.check("/account/confirm/<token>")
    page.click("main form [type=submit]")
    learner.check("/dashboard (new account)")
    assert f"Welcome, {name}" in page.inner_text("main")

    site.run(stage.accept_units, email, ASSESSOR[0], ACCEPTED_BEFORE)

    # Read the unit, then write and attach evidence.
    learner.visit(f"/units/{UNIT}")
    learner.visit(f"/units/{UNIT}/evidence")
    rubric_panel_scrolls_by_keyboard_and_shows_whole_descriptors(page)
    page.fill("#reflection", COMMENTARY[:600])
    page.set_input_files("#files", files=[{"name": "journal-entries.pdf", "mimeType": "application/pdf",
                                           "buffer": PDF}])
    page.click("#save")
    learner.check(f"/units/{UNIT}/evidence (draft saved)")
    assert "journal-entries.pdf" in page.inner_text("main")
    page.fill("#reflection", COMMENTARY)
    for box in page.locator("input[name=checklist]").all():
        box.check()
    page.click("#submit_for_assessment")
    learner.check(f"/units/{UNIT}/evidence (submitted)")
    assert "Submitted" in page.inner_text("main")
    code = site.run(stage.submission_code, email, UNIT)

    # The assessor takes it from the queue and returns it "not yet".
    assessor = open_audit()
    sign_in(assessor, ASSESSOR[0])
    decide(assessor, code, level="Emerging", outcome="not_yet",
           feedback="Point each claim in the commentary to a dated journal entry.")

    # The learner sees the feedback first, revises and resubmits.
    learner.visit("/dashboard")
    assert "not yet" in page.inner_text("main")
    learner.visit(f"/units/{UNIT}/evidence")
    main = page.inner_text("main")
    assert main.index("Point each claim") < main.index("The task")
    page.click("text=Revise and resubmit")
    learner.check(f"/units/{UNIT}/evidence (revision)")
    page.fill("#reflection", COMMENTARY + "Each claim now names its dated entry, from 3 March to 4 April.")
    for box in page.locator("input[name=checklist]").all():
        box.check()
    page.click("#submit_for_assessment")
    learner.check(f"/units/{UNIT}/evidence (revision submitted)")

    decide(assessor, site.run(stage.submission_code, email, UNIT), level="Proficient", outcome="accepted",
           feedback="Every claim is now grounded in a dated entry.")

    # The new badge: announced on the dashboard, shared publicly, verified by anyone.
    learner.visit("/dashboard")
    assert "You earned the badge" in page.inner_text("main")
    learner.visit("/evidence")
    learner.visit("/profile")
    learner.visit("/my/badges")
    page.locator("form:has(input[name=public][value='1']) button[type=submit]").first.click()
    learner.check("/my/badges (made public)")
    public = page.locator("a[href*='/b/']").first.get_attribute("href")
    public_path = public.removeprefix(site.base)
    visitor = open_audit()
    visitor.visit(public_path)
    assert name in visitor.page.inner_text("main")
    badge_id = public_path.rsplit("/", 1)[-1]
    visitor.visit("/verify")
    visitor.page.fill("#url", site.url(f"/badges/assertions/{badge_id}"))
    visitor.page.click("main #submit")
    visitor.check("/verify (a valid badge)")
    assert "Valid" in visitor.page.inner_text("main")

    learner.assert_clean()
    assessor.assert_clean()
    visitor.assert_clean()


def decide(assessor, code: str, level: str, outcome: str, feedback: str) -> None:
    """From the queue: open the submission with this code, give every indicator ``level`` and decide."""
    page = assessor.page
    assessor.visit("/assess?competency=DSP")
    while not page.locator(f"tr:has-text('{code}')").count():
        page.click("text=Next page")
        assessor.check("/assess (next page)")
    page.locator(f"tr:has-text('{code}') button[type=submit]").click()
    assessor.check(f"/assess/<id> ({code})")
    for group in page.locator("fieldset.indicator-judgement").all():
        group.get_by_label(level, exact=True).check()
    page.fill("#feedback", feedback)
    page.check(f"#outcome-{outcome}")
    page.click("main #submit")
    assessor.check(f"/assess (after deciding {code})")
    assert "decision" in page.inner_text("main").lower() or "queue" in page.inner_text("main").lower()


def rubric_panel_scrolls_by_keyboard_and_shows_whole_descriptors(page) -> None:
    """At 1280 px the rubric panel beside the evidence form scrolls on its own: it takes the keyboard focus and
    the arrow and page keys move it; no descriptor is cut short."""
    page.set_viewport_size({"width": 1280, "height": 700})
    panel = page.locator("aside.aside-col")
    assert panel.evaluate("el => el.scrollHeight > el.clientHeight"), "the rubric fits: nothing to scroll"
    panel.focus()
    assert panel.evaluate("el => document.activeElement === el")
    page.keyboard.press("PageDown")
    page.keyboard.press("ArrowDown")
    # Keyboard scrolling may be animated: wait (briefly) for it to move rather than read it at once.
    page.wait_for_function("() => document.querySelector('aside.aside-col').scrollTop > 0", timeout=5000)
    assert panel.evaluate("el => el.scrollTop") > 0
    clipped = panel.evaluate("""el => [...el.querySelectorAll('p, li, dd, td')]
        .filter(d => d.scrollHeight > d.clientHeight + 1 || d.scrollWidth > d.clientWidth + 1).length""")
    assert clipped == 0
    page.set_viewport_size({"width": 1280, "height": 900})
