"""The browser tests' own checks can fail: axe-core, injected under the site's real
Content-Security-Policy, finds a deliberate violation, and what the policy blocks is reported."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, check_accessibility, new_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(browser, live_url):
    context = new_context(browser, viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    response = page.goto(f"{live_url}/")
    # The production policy, not switched off: inline scripts are refused.
    assert "script-src 'self'" in response.headers["content-security-policy"]
    yield page
    context.close()


def test_axe_runs_under_the_sites_policy_and_reports_a_violation(home):
    check_accessibility(home, "home page")  # clean as served
    assert home.evaluate("typeof window.axe") == "object"
    home.evaluate("""() => {
        const image = document.createElement("img");
        image.src = "/static/nothing.png";  // no alt text
        document.querySelector("main").append(image);
    }""")
    with pytest.raises(pytest.fail.Exception, match="image-alt"):
        check_accessibility(home, "home page with an image without alt")


def test_what_the_policy_blocks_is_reported(home):
    home.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "document.title = 'inline ran'";
        document.body.append(script);
    }""")
    assert home.title() != "inline ran"  # refused, as for any inline script of the site
    with pytest.raises(pytest.fail.Exception, match="script-src"):
        check_accessibility(home, "home page with an inline script")
