import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dichvucong.settings")
application = get_wsgi_application()

if os.environ.get("DICHVUCONG_MODE", "production") == "production":
    # gunicorn runs no system checks: production refuses demo secrets here (core/checks.py).
    from dichvucong.core.checks import refuse_serious_problems

    refuse_serious_problems()
