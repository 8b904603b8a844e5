"""What the feedback and hotline tests share: a logged-in demo account, fresh rate limits."""

from __future__ import annotations

import pytest
from django.test import Client

PASSWORD = "demo-dichvucong"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """The code-sending limits count in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client
