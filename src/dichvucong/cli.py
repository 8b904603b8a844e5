"""The ``dichvucong`` command: Django's management commands with the project's settings.

``dichvucong demo`` sets up the embedded platform with demo data and serves it;
``dichvucong serve`` serves it with the background worker; every other Django command
(``migrate``, ``createsuperuser``, ``load_catalog`` …) works as with ``manage.py``.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dichvucong.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["dichvucong", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
