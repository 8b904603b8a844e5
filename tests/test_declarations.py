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
from tests.test_dossier_submission import citizen  # noqa: F401 - the fixture

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


def test_a_filed_declaration_is_rendered_outside_the_transaction_that_keeps_it(
        client, citizen, monkeypatch):  # noqa: F811
    """Rendering takes tens of milliseconds of CPU; on the embedded default (SQLite) a
    transaction holds the one write lock, so every filing waited behind each declaration the
    worker rendered. The paper is kept only if it is still the dossier's: a change made while
    it was being rendered is drawn up again, inside."""
    from django.db import connection

    from dichvucong.dossiers.models import Dossier
    from dichvucong.results import declaration
    from tests.filing import check_then_file
    from tests.test_dossier_submission import birth_post

    assert check_then_file(client, "/thu-tuc/1.001193/nop-ho-so/",
                           birth_post()).status_code == 302
    dossier = Dossier.objects.get(applicant=citizen)
    dossier.attachments.filter(declaration=True).delete()  # as if its job had not run yet
    depths, real_render = [], declaration.render

    def render(paper):
        depths.append(len(connection.savepoint_ids))  # the transactions open around it
        if len(depths) == 1:  # a change lands while the first rendering runs
            Dossier.objects.filter(pk=dossier.pk).update(
                form_data={**dossier.form_data, "tre_ho_ten": "Lê Gia Bảo"})
        return real_render(paper)

    monkeypatch.setattr(declaration, "render", render)
    outside = len(connection.savepoint_ids)  # the test's own transaction is not a savepoint
    kept = declaration.attach(dossier.pk)
    assert depths == [outside, outside + 1]  # rendered outside; the changed paper inside
    text = flow.pdf_text(kept.file.read())
    assert "Lê Gia Bảo" in text and f"Tờ khai điện tử của hồ sơ {dossier.code}" in text
    assert declaration.attach(dossier.pk) == kept  # once
    assert depths == [outside, outside + 1]


def test_a_declaration_is_kept_in_four_statements(client, citizen):  # noqa: F811
    """The dossier and whether it has its declaration's file read together, outside and again
    under its lock (they were two queries each: six statements with the file and its entry)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dichvucong.dossiers.models import Dossier
    from dichvucong.results import declaration
    from tests.filing import check_then_file
    from tests.test_dossier_submission import birth_post

    assert check_then_file(client, "/thu-tuc/1.001193/nop-ho-so/",
                           birth_post()).status_code == 302
    dossier = Dossier.objects.get(applicant=citizen)
    dossier.attachments.filter(declaration=True).delete()  # as if its job had not run yet
    with CaptureQueriesContext(connection) as captured:
        kept = declaration.attach(dossier.pk)
    statements = [q["sql"] for q in captured.captured_queries
                  if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(statements) == 4, statements  # two reads, the file, its pipeline entry
    assert kept.declaration and kept.dossier_id == dossier.pk
    with CaptureQueriesContext(connection) as captured:
        assert declaration.attach(dossier.pk) == kept  # once: found by the first read
    assert len(captured.captured_queries) == 2
