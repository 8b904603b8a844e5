"""GET some paths in a separate process whose settings are those of a given mode, as a real
deployment would load them (``dichvucong.settings``, not the test settings).

    python -m tests.get_in_mode <production|demo> <path> [<path> …]

The environment gives the database (``DATABASE_URL``) and the data folder. The static files
are collected first when the folder has none (the manifest storage of both modes needs them;
without the admin's, the API docs' and the results' files, which the site's pages do not use
and whose compression takes minutes). Prints one JSON object:
for each path its status, the X-Robots-Tag header and the page.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    mode, paths = sys.argv[1], sys.argv[2:]
    os.environ["DICHVUCONG_MODE"] = mode
    os.environ["DJANGO_SETTINGS_MODULE"] = "dichvucong.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    if not (settings.STATIC_ROOT / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0,
                     ignore_patterns=["admin", "ninja", "results"])
    client = Client()
    result = {"mode": settings.MODE, "debug": settings.DEBUG}
    for path in paths:
        response = client.get(path, secure=True)
        result[path] = {"status": response.status_code,
                        "robots": response.headers.get("X-Robots-Tag", ""),
                        "page": response.content.decode()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
