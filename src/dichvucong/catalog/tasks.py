"""The catalogue's periodic job: approved procedure versions come into force on their day."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dichvucong.catalog.versions import bring_into_force


# Hourly, so a version dated today is in force within the hour after midnight in Vietnam
# (17:01 UTC), and a consumer that was down catches up at its next run.
@db_periodic_task(crontab(minute="1"), name="catalog.bring_into_force")
def bring_versions_into_force() -> int:
    return bring_into_force()
