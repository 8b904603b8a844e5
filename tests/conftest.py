"""Test harness.

The suite runs twice (``./run tests``): on SQLite and on a real PostgreSQL server. The test
database gets the reference data, the full demo catalogue and the demo accounts once per session,
committed, so that the live server of the browser tests and the worker process see them too; each
ordinary test then runs in a transaction that is rolled back.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dichvucong.settings_test")
os.environ.setdefault("DICHVUCONG_MODE", "test")

# Tests assert behaviour, never time: Hypothesis's own clocks (a deadline per example, the check
# that inputs are generated fast enough) failed tests for the shared machine's load.
hypothesis_settings.register_profile(
    "dichvucong", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("dichvucong")

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_component(name: str, available: bool, how: str) -> None:
    """Skip when a component is missing on a developer's machine; fail in CI."""
    if available:
        return
    message = f"{name} is not available ({how})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true makes a missing component a failure", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("load_reference_data", verbosity=0)
        call_command("load_catalog", verbosity=0)
        call_command("create_demo_accounts", verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """Each test starts with no cached public page (core.pagecache): a test's rolled-back data
    and settings must not be served to the next one."""
    from django.core.cache import caches

    from dichvucong.backoffice import queues
    from dichvucong.core import pagecache

    caches["pages"].clear()
    pagecache.forget()  # a rolled-back test's generation numbers too
    queues.forget()  # and the catalogue the back office read under them


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in Vietnamese: a request in English activates English for the thread
    and Django leaves it active after the response, so a later test's messages read English
    (an alert test failed after the exchange tests' English request)."""
    from django.utils import translation

    translation.activate("vi")
    yield
    translation.deactivate()


@pytest.fixture
def result_keys(settings, tmp_path_factory):
    """Results signed in a test (``procedure_flow.signing_keys``), Phường Hải Châu's key made
    now. A module takes it with ``pytest.mark.usefixtures("result_keys")``."""
    from tests import procedure_flow

    procedure_flow.signing_keys(settings, tmp_path_factory)


@pytest.fixture
def result_keys_later(settings, tmp_path_factory):
    """The same with no key made yet: ``procedure_flow.process_and_sign`` makes the receiving
    agency's."""
    from tests import procedure_flow

    procedure_flow.signing_keys(settings, tmp_path_factory, hai_chau=False)


@pytest.fixture(scope="session", autouse=True)
def _expected_database(request):
    """``./run tests`` says which database a pass is for; make sure it is the one in use."""
    expected = os.environ.get("DICHVUCONG_TEST_DATABASE")
    if not expected:
        return
    from django.db import connection

    assert connection.vendor == expected, (
        f"this pass should run on {expected}, runs on {connection.vendor}"
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests run after the other database tests, before the transactional ones.

    pytest-django has already put the database tests first and the transactional ones (whose
    flush empties the session's catalogue) after them. Browser tests commit what they do through
    the live server; run earlier, what they commit would show up in the rolled-back tests."""

    def is_plain_db_test(item) -> bool:
        marker = item.get_closest_marker("django_db")
        if marker is None:
            return "db" in getattr(item, "fixturenames", ())
        transactional = marker.kwargs.get("transaction", False) or (
            marker.args and marker.args[0])
        return not transactional and "transactional_db" not in getattr(item, "fixturenames", ())

    def is_live(item) -> bool:
        # Browser tests, and the tests that drive the live server with an HTTP client.
        return "tests/browser/" in str(item.fspath) or item.get_closest_marker("live_server")

    browser = [item for item in items if is_live(item)]
    if not browser:
        return
    others = [item for item in items if not is_live(item)]
    cut = next((i for i, item in enumerate(others) if not is_plain_db_test(item)), len(others))
    items[:] = others[:cut] + browser + others[cut:]
