"""Every curated procedure's declaration as a blank template: the PDF downloads from the
procedure page and its text has the national motto, the declaration's title and a dotted line
for every field of the e-form, in order (results/declaration.py). The filled declaration is
checked where the procedure is filed (tests/test_procedures_*.py, test_birth_registration.py).
"""

from __future__ import annotations

import pytest
from django.test import Client

from dichvucong.catalog.definition import FieldType
from dichvucong.catalog.loaders import read_curated
from tests import procedure_flow as flow

pytestmark = pytest.mark.django_db

CURATED = [d.code for d in read_curated()]


def _labels(fields) -> list[str]:
    labels = []
    for f in fields:
        if f.type == FieldType.FILE:
            continue
        labels += _labels(f.fields) if f.type == FieldType.GROUP else [f.label]
    return labels


def test_all_32_curated_procedures_have_a_form():
    assert len(CURATED) == 32


@pytest.mark.parametrize("code", CURATED)
def test_the_blank_declaration_of_each_curated_procedure(code):
    procedure = flow.procedure(code)
    definition = procedure.current_version.parsed()
    url = f"/thu-tuc/{procedure.code}/to-khai.pdf"
    client = Client()
    assert f'href="{url}"' in client.get(f"/thu-tuc/{procedure.code}/").content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = flow.pdf_text(response.content)
    flow.assert_carries(text, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                        "Độc lập - Tự do - Hạnh phúc",
                        definition.declaration_title().upper())
    at = 0
    for label in _labels(definition.form):
        found = text.find(" ".join(label.split()), at)
        assert found >= 0, (label, text)  # every field, in the form's order
        at = found
