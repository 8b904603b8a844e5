"""The pipeline's worker in huey: kicked after each commit that wrote entries
(``steps.record``), and every minute (retries fall due, a killed worker's lease expires). The
embedded default runs huey's consumer beside the web server (``dichvucong serve``)."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from dichvucong.pipeline import worker

log = logging.getLogger(__name__)


@db_task(name="pipeline.run")
def run_pipeline() -> int:
    return worker.drain().done


@db_periodic_task(crontab(minute="*"), name="pipeline.run_periodic")
def run_pipeline_periodically() -> int:
    return worker.drain().done


def kick() -> None:
    """Ask the worker to run now; the periodic run picks up whatever this misses."""
    try:
        run_pipeline()
    except Exception:
        log.exception("pipeline: the kick failed")
