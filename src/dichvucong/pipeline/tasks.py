"""The pipeline's worker in huey: kicked after each commit that wrote entries
(``steps.record``), and every minute (retries fall due, a killed worker's lease expires). The
embedded default runs huey's consumer beside the web server (``dichvucong serve``)."""

import logging
import threading
from contextlib import contextmanager

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from dichvucong.pipeline import worker
from dichvucong.pipeline.steps import file_declaration

log = logging.getLogger(__name__)
_run = threading.local()


@contextmanager
def drained_after():
    """Inside, the entries recorded are drained by this run right after: no kick for them.
    (The declaration's file, attached in the run, kicked another run that found its entry
    drained already: a queue write, a claim, the audit seal's look and the counts' fold
    again per filing.)"""
    _run.draining = True
    try:
        yield
    finally:
        _run.draining = False


def drain_follows() -> bool:
    return getattr(_run, "draining", False)


@db_task(name="pipeline.run")
def run_pipeline(declaration: int | None = None) -> int:
    """``declaration``: a filed dossier whose declaration to render first (``steps.py``, step
    4), so that its file's entry is drained in the same run."""
    if declaration is not None:
        with drained_after():
            file_declaration(declaration)
    return worker.drain().done


@db_periodic_task(crontab(minute="*"), name="pipeline.run_periodic")
def run_pipeline_periodically() -> int:
    return worker.drain().done


def kick(declaration: int | None = None) -> None:
    """Ask the worker to run now (and to render the filed declaration of the dossier
    ``declaration``): one queue write. The filing is committed: an unreachable queue must not
    turn it into an error page; the periodic run picks up whatever this misses, and the
    declarations' sweeper (``results.file_missing_declarations``) a declaration."""
    try:
        run_pipeline(declaration)
    except Exception:
        log.exception("pipeline: the kick failed")
