"""Filing through the citizen's submission page as a citizen does: the form, then the
«Kiểm tra lại thông tin» page, then «Nộp hồ sơ» on it."""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.test import Client

from tests.builders import derive

CHECK_HEADING = "Kiểm tra lại thông tin"


def check_then_file(client: Client, url: str, data: dict, **extra) -> HttpResponse:
    """Post the form (``data`` with action=submit): it must validate and show the check page;
    then file from it. Returns the filing's response (a redirect to the dossier's page)."""
    response = client.post(url, data, **extra)
    html = response.content.decode()
    assert response.status_code == 200 and f"<h1>{CHECK_HEADING}</h1>" in html, html[:4000]
    draft = re.search(r'name="draft" value="(\d+)"', html)
    assert draft is not None, html[:4000]
    filed = client.post(url, {"draft": draft.group(1), "action": "confirm"}, **extra)
    derive()  # what the pipeline's worker derives from the filing (the data store, …)
    return filed
