"""Browser tests: Playwright driving Debian's Chromium against a live server, with axe-core.

``check_accessibility(page)`` runs axe-core on the page as it is and fails on any violation, and
on anything the page's Content-Security-Policy blocked since it loaded; every browser test calls
it on each page it visits. Pages run under the site's real security headers: make browser
contexts with ``new_context`` (never switching the policy off), so a feature the policy breaks
fails here as it would for citizens.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import require_component

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make in it
# are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("DICHVUCONG_CHROMIUM", "/usr/bin/chromium")
AXE_JS = os.environ.get(
    "DICHVUCONG_AXE_JS",
    str(Path(__file__).resolve().parents[2] / "tools/node_modules/axe-core/axe.min.js"),
)
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
PHONE = {"width": 390, "height": 844}
# What a page waits for (``page.set_default_timeout``) and what an assertion waits for agree: a
# form post that takes more than Playwright's default 5 s on a loaded CI machine (both
# databases' passes run side by side) is slow, not wrong; a wrong page still fails, later.
EXPECT_TIMEOUT_MS = 15_000
DESKTOP = {"width": 1280, "height": 800}

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


# Every browser test module sets ``pytestmark = pytest.mark.django_db`` itself: pytest-django
# reads the marker when it orders tests (database tests before transactional ones, whose flush
# would empty the session's catalog) and to create the test database. The override below keeps
# it from wrapping the test in a transaction, which the live server (another connection) could
# not see into.
@pytest.fixture(autouse=True)
def _django_db_marker():
    """Browser tests see the session's committed data through the live server."""


@pytest.fixture(scope="session")
def live_url(django_db_setup, django_db_blocker):
    """A live server in a thread, on the session's test database (no flush between tests)."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    class Server(ThreadedWSGIServer):
        # socketserver's default backlog of 5 resets the connections of a burst of requests
        # (the concurrent-submission test); a production server listens with a long queue too.
        request_queue_size = 256

    class Thread(LiveServerThread):
        server_class = Server

    with django_db_blocker.unblock():
        thread = Thread("127.0.0.1", StaticFilesHandler, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        yield f"http://127.0.0.1:{thread.port}"
        thread.terminate()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    require_component("Chromium", Path(CHROMIUM).exists(), f"looked for {CHROMIUM}")
    require_component("axe-core", Path(AXE_JS).exists(), f"looked for {AXE_JS}; ./run tests "
                      "installs it with npm")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                             headless=True)
        yield browser
        browser.close()


# Runs in every page before its own scripts (Playwright's init scripts are not subject to the
# page's CSP): keeps what the policy blocks, for check_accessibility to report.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI}`
                              + ` (${event.sourceFile || ""}:${event.lineNumber})`);
});
"""


def new_context(browser, **options):
    """A browser context under the site's own Content-Security-Policy, watching for what it
    blocks."""
    context = browser.new_context(**options)
    context.add_init_script(script=CSP_WATCH)
    return context


@pytest.fixture(autouse=True)
def _expect_timeout():
    """Every browser test starts with ``expect`` waiting EXPECT_TIMEOUT_MS, whatever a test
    before it set (a fixture that put Playwright's 5 s default back gave every later test in
    the session 5 s: order-dependent timeouts on a loaded CI machine)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def viewport(request):
    return request.param


@pytest.fixture
def page(browser, viewport, django_db_blocker):
    context = new_context(browser, viewport=viewport, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    with django_db_blocker.unblock():
        yield page
    context.close()


@cache
def axe_source() -> str:
    return Path(AXE_JS).read_text(encoding="utf-8")


def settled(page) -> None:
    """Wait until the page a click navigated to has loaded. A click that submits a form returns
    once the navigation has committed, not once the new document is there: a script evaluated in
    between ran against a document being replaced (axe-core read ``null.documentElement``, and
    ``page.content()`` was empty in CI). Locator assertions wait by themselves; ``evaluate``,
    ``content`` and ``all_inner_texts`` do not."""
    page.wait_for_load_state("load")


def check_accessibility(page, label: str = "") -> None:
    """Run axe-core on the current page; fail listing every violation, and every request or
    script the page's CSP blocked."""
    settled(page)
    # Evaluated through DevTools, which the page's CSP does not govern: a <script> tag with
    # axe's source inline would be blocked by script-src 'self', as it should be.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    # Read after axe's run: the browser reports a blocked request in a task of its own.
    blocked = page.evaluate("window.__cspViolations || []")
    lines = []
    if blocked:
        lines.append(f"the Content-Security-Policy of {label or page.url} blocked:")
        lines.extend(f"- {item}" for item in blocked)
    violations = result["violations"]
    if violations:
        lines.append(f"axe-core found {len(violations)} violation(s) on {label or page.url}:")
        for violation in violations:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} "
                         f"→ {targets}")
    if lines:
        pytest.fail("\n".join(lines), pytrace=False)


def confirm_filing(page, label: str = "") -> None:
    """On «Kiểm tra lại thông tin» (the form was accepted): check it with axe when ``label`` is
    given, then file with its «Nộp hồ sơ» button."""
    from playwright.sync_api import expect

    try:
        expect(page.get_by_role("heading", level=1)).to_have_text("Kiểm tra lại thông tin")
    except AssertionError:
        summary = page.locator(".error-summary")
        refused = summary.inner_text() if summary.count() else page.locator("main").inner_text()
        pytest.fail(f"the form was not accepted:\n{refused[:2000]}", pytrace=False)
    if label:
        check_accessibility(page, label)
    page.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
