"""Browser tests: the app served on a free local port with the demo data, driven by Debian's Chromium.

Every page a test opens goes through ``Audit.check``, which fails the test (at its end, listing every
problem found) on any axe-core violation of WCAG 2.1 A or AA, any sideways scroll, any console error,
a header that wraps at 1280 px, or a page that weighs more than 100 KB with the same-origin CSS,
scripts and images it loads. Each page is checked at 1280 px and again at 390 px wide.

The run skips on PostgreSQL (LMS_TEST_DATABASE_URL): what these tests check is the pages, which do
not depend on the database, and the SQLite run already covers them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ..conftest import PASSWORD, TEST_DB_ENV, make_app
from ..mail_helpers import free_port

CHROMIUM = os.environ.get("LMS_TEST_CHROMIUM", "/usr/bin/chromium")
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (1280, 390)
HEIGHT = 900
MAX_PAGE_BYTES = 100 * 1024
# A calibrated assessor of our own (the demo's assessor is not yet calibrated, so his marks would wait
# for a second mark): assessor and lead assessor, with a password the tests know.
ASSESSOR = ("marker@browser.example.org", "Meera Marker")


@dataclass
class Site:
    """The app being served: its address, the demo's logins and the instance folder (mail lands there)."""

    app: object
    base: str
    instance: Path
    logins: dict[str, str]

    def url(self, path: str) -> str:
        return self.base + path

    def emails(self, to: str) -> list:
        """Emails written to instance/mail/ for ``to``, oldest first."""
        found = []
        for path in sorted((self.instance / "mail").glob("*.eml"), key=lambda p: (p.stat().st_mtime, p.name)):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if to in str(message["To"]):
                found.append(message)
        return found

    def link_in_last_email(self, to: str) -> str:
        """The first link to this site in the newest email to ``to``."""
        message = self.emails(to)[-1]
        body = message.get_body(("plain",)).get_content()
        match = re.search(re.escape(self.base) + r"/\S+", body)
        assert match, body
        return match.group(0)

    def run(self, function, *args):
        """Call ``function(*args)`` inside the served app (for setting the stage, never for what is tested)."""
        from lms.cli import public_request_context
        with self.app.app_context(), public_request_context():
            return function(*args)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    if os.environ.get(TEST_DB_ENV):
        pytest.skip("browser tests check pages, which do not depend on the database: they run on SQLite only")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package")
    folder = tmp_path_factory.mktemp("browser")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = make_app(f"sqlite:///{folder / 'lms.sqlite3'}", folder / "instance",
                   PUBLIC_BASE_URL=base, SELF_REGISTRATION=True)
    from lms.auth import services
    from lms.extensions import db
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(args=["demo", "seed"])
        assert result.exit_code == 0, result.output
        services.create_user(ASSESSOR[0], ASSESSOR[1], PASSWORD, ("assessor", "lead_assessor"))
    logins = json.loads((folder / "instance" / "demo-logins.json").read_text())
    logins[ASSESSOR[0]] = PASSWORD
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(app, base, folder / "instance", logins)
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@dataclass
class Audit:
    """One browser context (one person) whose every page is checked; ``problems`` gathers what fails."""

    site: Site
    page: object
    javascript: bool = True
    problems: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def visit(self, path: str, status: int = 200) -> None:
        """Open ``path`` (expecting HTTP ``status``) and check the page."""
        response = self.page.goto(self.site.url(path))
        assert response is not None and response.status == status, \
            f"{path}: HTTP {response.status if response else '?'}, expected {status}"
        if status >= 400:  # the browser reports the expected error status of the page itself
            self.console[:] = [m for m in self.console if "Failed to load resource" not in m or
                               f"({self.site.url(path)})" not in m]
        self.check()

    def check(self, label: str | None = None) -> None:
        """Check the page now shown, at 1280 px and then at 390 px wide."""
        page = self.page
        page.wait_for_load_state("load")
        where = label or page.url.removeprefix(self.site.base)
        self.checked.append(where)
        self._flush_console(where)
        if not self.javascript:  # axe and the measurements run as scripts: these pages are checked with them on
            return
        weight = page.evaluate(WEIGHT_JS, self.site.base)
        if weight["total"] > MAX_PAGE_BYTES:
            self.problems.append(f"{where}: weighs {weight['total'] / 1024:.0f} KB (over 100 KB): {weight['parts']}")
        original = page.viewport_size
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": HEIGHT})
            overflow = page.evaluate(OVERFLOW_JS)
            if overflow:
                self.problems.append(f"{where} at {width} px: scrolls sideways ({overflow})")
            if width >= 1280:
                wrapped = page.evaluate(HEADER_JS)
                if wrapped:
                    self.problems.append(f"{where} at {width} px: the header wraps onto more lines ({wrapped})")
            for violation in self.axe():
                self.problems.append(f"{where} at {width} px: axe {violation}")
        page.set_viewport_size(original)
        self._flush_console(where)

    def axe(self) -> list[str]:
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_SOURCE)
        violations = self.page.evaluate(AXE_JS, WCAG_TAGS)
        return [f"{v['id']} ({v['impact']}): {v['help']}: " + "; ".join(v["nodes"]) for v in violations]

    def _flush_console(self, where: str) -> None:
        for message in self.console:
            self.problems.append(f"{where}: console error: {message}")
        self.console.clear()

    def assert_clean(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, f"{len(problems)} problem(s) in the browser:\n" + "\n".join(problems)


WEIGHT_JS = """(origin) => {
  const nav = performance.getEntriesByType('navigation')[0];
  const parts = {html: nav ? nav.decodedBodySize : 0};
  let total = parts.html;
  for (const entry of performance.getEntriesByType('resource')) {
    if (!entry.name.startsWith(origin)) continue;
    const size = entry.decodedBodySize || entry.encodedBodySize || 0;
    total += size;
    parts[new URL(entry.name).pathname] = size;
  }
  return {total, parts};
}"""

OVERFLOW_JS = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return '';
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > root.clientWidth + 1 && box.width > 0) {
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
        ' right=' + Math.round(box.right));
    }
  }
  return `scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}: ` + wide.slice(0, 5).join(', ');
}"""

# The brand and every item of the main navigation must share one line.
HEADER_JS = """() => {
  const items = [...document.querySelectorAll('.site-header .brand, .site-header .nav > li')]
    .filter(el => el.getClientRects().length);
  if (!items.length) return '';
  const boxes = items.map(el => el.getBoundingClientRect());
  const top = Math.max(...boxes.map(b => b.top)), bottom = Math.min(...boxes.map(b => b.bottom));
  if (top < bottom) return '';
  return items.map((el, i) => `${el.textContent.trim().split(/\\s+/).slice(0, 3).join(' ')}@${Math.round(boxes[i].top)}`).join(', ');
}"""

AXE_JS = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' [' + (n.failureSummary || '').replace(/\\s+/g, ' ') + ']'),
  }));
}"""


@pytest.fixture
def open_audit(site, browser):
    """``open_audit(javascript=True)``: a new person (browser context) whose pages are checked."""
    contexts = []

    def open_(javascript: bool = True) -> Audit:
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": HEIGHT},
                                      java_script_enabled=javascript, base_url=site.base)
        context.set_default_timeout(30_000)  # generous: the machine may be busy
        page = context.new_page()
        audit = Audit(site, page, javascript)
        page.on("console", lambda m: audit.console.append(f"{m.text} ({m.location.get('url', '')})")
                if m.type == "error" else None)
        page.on("pageerror", lambda error: audit.console.append(f"uncaught {error}"))
        contexts.append((context, audit))
        return audit

    yield open_
    leftovers = []
    for context, audit in contexts:
        leftovers += audit.problems
        context.close()
    if leftovers:
        pytest.fail("problems found after the test's last check:\n" + "\n".join(leftovers))


def sign_in(audit: Audit, email: str, password: str | None = None) -> None:
    """Sign in through the form (checking the sign-in page on the way)."""
    page = audit.page
    audit.visit("/login")
    page.fill("#email", email)
    page.fill("#password", password or audit.site.logins[email])
    page.click("main form [type=submit]")
    page.wait_for_load_state("load")
    assert "/login" not in page.url, f"sign-in as {email} failed"
