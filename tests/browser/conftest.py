"""Browser journeys: Playwright drives Debian's Chromium against live_server.

Every page the browser loads must be scanned with axe before the test ends;
moderate, serious or critical violations of WCAG 2.2 AA (and axe's best practices)
fail the test."""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

from tests.factories import PASSWORD
from tests.security.mfa import totp_code

# Playwright's sync API runs an event loop in this thread; the ORM calls made by
# the test itself (reading the outbox, creating fixtures) are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BLOCKING_IMPACTS = {"moderate", "serious", "critical"}
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
}

_axe = Axe()


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class AxeTracker:
    def __init__(self):
        self.loaded: list[str] = []
        self.scanned: set[str] = set()
        self.scanning = False

    def scan(self, page) -> None:
        page.wait_for_load_state("load")
        # axe-core adds a <style> of its own on some pages; that is the test's, not the site's.
        self.scanning = True
        try:
            results = _axe.run(page, options=AXE_OPTIONS)
            page.evaluate("0")  # let console events from the scan arrive while still flagged
        finally:
            self.scanning = False
        blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
        self.scanned.add(page.url)
        assert not blocking, f"Accessibility violations on {page.url}:\n" + "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}" for v in blocking
        )

    def unscanned(self) -> list[str]:
        return [url for url in self.loaded if url not in self.scanned]


@pytest.fixture
def axe():
    return AxeTracker()


@pytest.fixture
def page(chromium, live_server, axe, transactional_db):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    browser_page = context.new_page()
    browser_page.on("load", lambda p: axe.loaded.append(p.url))
    # The CSP is enforced (no bypass), so a blocked script or style shows up here.
    csp_violations = []
    browser_page.add_init_script(CSP_REPORTER)
    browser_page.on("console", lambda m: axe.scanning or _note_csp_violation(csp_violations, browser_page, m))
    yield browser_page
    context.close()
    missed = axe.unscanned()
    assert not missed, f"Pages loaded but never scanned with axe: {missed}"
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


# Says where a violation came from (Chrome's own console line does not).
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
  `Content Security Policy: ${e.violatedDirective} blocked at ${e.sourceFile}:${e.lineNumber} in ${e.documentURI}`));
"""


def _note_csp_violation(violations: list, page, message) -> None:
    if "Content Security Policy" in message.text:
        violations.append(f"{page.url}: {message.text}")


def visit(page, axe: AxeTracker, path: str):
    """Open a page and scan it."""
    page.goto(path)
    axe.scan(page)
    return page


def log_in(page, axe: AxeTracker, email: str, *, lands_on: str | None = "My account"):
    """Sign in through the real form, check the heading landed on, and scan the page."""
    visit(page, axe, "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if lands_on:
        expect(page.get_by_role("heading", level=1)).to_have_text(lands_on)
    axe.scan(page)


def log_in_with_mfa(page, axe: AxeTracker, user, secret: str, *, lands_on: str | None = "My account"):
    """Sign in with the password, then pass the authenticator step."""
    log_in(page, axe, user.email, lands_on="Two-step verification")
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Log in").click()
    if lands_on:
        expect(page.get_by_role("heading", level=1)).to_have_text(lands_on)
    axe.scan(page)
