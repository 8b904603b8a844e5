"""The open data portal's periodic job."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dichvucong.opendata.refresh import refresh_all


# 19:40 UTC is 02:40 in Đà Nẵng: after the day's work, before anyone harvests in the morning.
@db_periodic_task(crontab(hour="19", minute="40"), name="opendata.refresh")
def refresh_open_data() -> int:
    """Daily: rebuild every open dataset from the catalogue, the administrative units and the
    monitoring centre's figures (``refresh_open_data`` does the same on demand)."""
    return refresh_all().datasets
