"""The ``dichvucong`` command: Django's management commands with the project's settings.

``dichvucong demo`` sets up the embedded platform with demo data and serves it;
``dichvucong serve`` serves it with the background worker; every other Django command
(``migrate``, ``createsuperuser``, ``load_catalog`` …) works as with ``manage.py``, also spelt
with hyphens (``generate-history`` for ``generate_history``).
"""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dichvucong.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        # `dichvucong generate-history` runs the command generate_history.
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["dichvucong", *args])


if __name__ == "__main__":
    main()
