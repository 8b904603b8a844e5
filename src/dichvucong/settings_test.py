"""Settings for the test suite: the same settings in test mode, huey run in-process."""

import os

os.environ["DICHVUCONG_MODE"] = "test"
os.environ.setdefault("HUEY_IMMEDIATE", "1")

from dichvucong.settings import *  # noqa: E402,F403
from dichvucong.settings import DATA_DIR, DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; tests
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: the huey worker test runs a real consumer in another process.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("DICHVUCONG_TEST_SQLITE",
                                                           str(DATA_DIR / "test.sqlite3"))}
