"""A separate process that tries wrong passwords through the login page (Django's test client,
the same database and, when REDIS_URL is set, the same Redis as the test that starts it).

    python -m tests.login_attempts <username> <attempts>

It prints ``ready``, waits for a line on stdin (so that several processes start together), then
prints one JSON line: how many of its wrong passwords were checked and how many were refused.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    username, attempts = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dichvucong.settings_test")
    import django

    django.setup()
    from django.test import Client

    client = Client()
    client.get("/dang-nhap/")  # load everything before the start line
    print("ready", flush=True)
    sys.stdin.readline()
    checked = refused = 0
    for attempt in range(attempts):
        response = client.post("/dang-nhap/", {"username": username,
                                               "password": f"sai-{os.getpid()}-{attempt}"})
        page = response.content.decode()
        if "mật khẩu không đúng" in page:  # the wrong-password message: it was checked
            checked += 1
        elif "quá nhiều lần" in page:  # refused before the password was looked at
            refused += 1
        else:
            raise SystemExit(f"unexpected answer {response.status_code}: {page[:300]}")
    print(json.dumps({"checked": checked, "refused": refused}), flush=True)


if __name__ == "__main__":
    main()
