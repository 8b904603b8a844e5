"""Test harness.

The suite runs twice (``./run tests``): on SQLite and on a real PostgreSQL server. The test
database gets the reference data, the full demo catalogue and the demo accounts once per session,
committed, so that the live server of the browser tests and the worker process see them too; each
ordinary test then runs in a transaction that is rolled back.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dichvucong.settings_test")
os.environ.setdefault("DICHVUCONG_MODE", "test")

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
