"""Background work: rendering and signing a result (DESIGN.md §6: no officer waits on it)."""

from huey.contrib.djhuey import db_task


@db_task(retries=2, retry_delay=30, name="results.sign_result")
def sign_result_task(result_id: int) -> None:
    from .services import sign_result

    sign_result(result_id)
