"""gunicorn's settings for the platform's web processes (``gunicorn -c
python:dichvucong.core.gunicorn_config``; ``serve`` and the reference deployment pass it).

With ``PROMETHEUS_MULTIPROC_DIR`` each web worker keeps its metrics in files of that folder,
named by its pid, which ``/metrics`` adds up. A worker that dies (killed, out of memory, or
recycled) left its files for good (issue #20): its gauges, a dead process's current values,
are deleted when gunicorn sees it exit; its counters and histograms stay, since they are
totals (the sums would go down otherwise)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from prometheus_client import multiprocess


def clean_metrics(pid: int, folder: str | None = None) -> list[str]:
    """Delete the gauge files of a dead process; the names deleted."""
    folder = folder or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return []
    multiprocess.mark_process_dead(pid, folder)  # the live… gauges
    removed = []
    for path in Path(folder).glob(f"gauge_*_{pid}.db"):  # the others: all, max, min, sum …
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path.name)
    return removed


def child_exit(server, worker) -> None:
    """gunicorn's hook, in the master, when a worker has exited (however it died)."""
    clean_metrics(worker.pid)
