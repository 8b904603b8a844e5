"""Waking a worker after a commit: ``after_commit(kick)`` is ``transaction.on_commit(kick)``,
except inside ``held()`` (the pipeline's drain), where each kick committed runs once when the
drain ends instead of after each of its hundreds of commits (each kick is a queue write)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction

_local = threading.local()


def after_commit(kick: Callable[[], None]) -> None:
    held = getattr(_local, "kicks", None)
    if held is None:
        transaction.on_commit(kick)
    else:
        # Only once committed: a kick registered in a transaction rolled back is dropped.
        transaction.on_commit(lambda: _after(held, kick))


def _after(held: dict, kick: Callable[[], None]) -> None:
    if getattr(_local, "kicks", None) is held:
        held.setdefault(kick, None)
    else:  # committed after the drain ended: the drain ran in its caller's transaction
        kick()


@contextmanager
def held() -> Iterator[None]:
    if getattr(_local, "kicks", None) is not None:  # already held by an outer drain
        yield
        return
    _local.kicks = {}
    try:
        yield
    finally:
        kicks, _local.kicks = _local.kicks, None
        for kick in kicks:  # in the order first committed
            kick()
