import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dichvucong.settings")
application = get_wsgi_application()

if os.environ.get("DICHVUCONG_MODE", "production") == "production":
    # gunicorn runs no system checks: production refuses demo secrets here (core/checks.py).
    from dichvucong.core.checks import refuse_serious_problems

    refuse_serious_problems()

# Warm the process before it serves, so that its first request is not the one to pay: the
# template engine imports every app's tag libraries, the URL resolver compiles every pattern on
# first use (0.5 s and 0.2 s of the first monitoring page in a new worker, at a load of 5).
from django.template import engines  # noqa: E402
from django.urls import get_resolver  # noqa: E402

engines.all()
get_resolver().reverse_dict  # noqa: B018
