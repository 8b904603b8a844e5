from django.conf import settings


def platform(request):
    return {"portal_name": settings.PORTAL_NAME, "demo_mode": settings.DEMO}
