import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import builders
from tests.birth_helpers import birth_form_json
from tests.builders import BIRTH, user
from tests.test_backoffice import pdf

pytestmark = pytest.mark.django_db


def test_count(client):
    client.force_login(user("congdan"))
    documents = builders.procedure(BIRTH).current_version.parsed().documents
    mandatory = next(i for i, d in enumerate(documents) if d.mandatory)
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/api/v1/dossiers", {
            "procedure": BIRTH, "agency": builders.agency().pk,
            "form": json.dumps(birth_form_json()), "documents": json.dumps([mandatory]),
            "files": [pdf("giay-chung-sinh.pdf")]})
    assert response.status_code == 201, response.content
    print("COUNT", len(ctx.captured_queries),
          sum(1 for q in ctx.captured_queries if "SAVEPOINT" in q["sql"]))
    for q in ctx.captured_queries:
        print("Q", q["sql"][:230])
