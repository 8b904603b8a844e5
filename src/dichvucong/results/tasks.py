"""Background work: rendering and signing a result (no officer waits on it: docs/architecture.md
«Design decisions»), and keeping the published trust list fresh."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from .stamping import sign_result
from .trust_list import refresh_trust_list


@db_task(retries=2, retry_delay=30, name="results.sign_result")
def sign_result_task(result_id: int) -> None:
    sign_result(result_id)


# Every 15 minutes: an issue is re-issued half-way to its next update (24 h with the default 48 h
# validity), so offline verifiers always find a list with time left on it.
@db_periodic_task(crontab(minute="*/15"), name="results.refresh_trust_list")
@lock_task("results.refresh_trust_list")
def refresh_trust_list_task() -> int:
    """Returns the sequence of the new issue, 0 when none was due."""
    issue = refresh_trust_list()
    return issue.sequence if issue is not None else 0


@db_task(retries=2, retry_delay=30, name="results.file_declaration")
def file_declaration_task(dossier_id: int) -> None:
    """The filed dossier's declaration as a PDF file of the dossier (``declaration.attach``)."""
    from .declaration import attach

    attach(dossier_id)
