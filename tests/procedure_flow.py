"""One curated procedure end to end through HTTP, as people meet it: a citizen files through the
submission page with its e-declaration, the receiving agency's officials receive, assign,
examine and approve in the back office, the result is issued and signed, and the citizen
downloads it. The procedure tests (``test_procedures_*.py``) give each procedure's declaration
and check the signed PDF's text; this module is the path they share.

Agencies without demo officials get three (reception officer, leader with an official
position, specialist), made here the first time they are needed."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase

from dichvucong.accounts.models import Membership, Role, User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import FieldType
from dichvucong.catalog.formengine import read_submission
from dichvucong.catalog.models import Procedure
from dichvucong.dossiers import submission
from dichvucong.dossiers.models import Dossier
from dichvucong.results import services
from dichvucong.results.models import Result
from tests.filing import check_then_file

# A minimal PDF the upload check accepts, for the papers a test does not care about.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def signing_keys(settings, tmp_path_factory, *, hai_chau: bool = True) -> None:
    """Results signed in a test: throwaway keys of Phường Hải Châu (unless ``hai_chau`` is
    false; other agencies get theirs in ``process_and_sign``), no outside trust roots, the test
    server's address in QR links. With pytest's ``settings``: the fixtures ``result_keys`` and
    ``result_keys_later`` of tests/conftest.py call it."""
    from django.core.cache import cache

    settings.RESULTS_PKI_DIR = str(tmp_path_factory.mktemp("pki"))
    settings.RESULTS_TRUST_ROOTS = []
    settings.SITE_URL = "http://testserver"
    cache.delete_many([services.PUBLISHED_CACHE_KEY, services.ONLINE_CACHE_KEY])
    if hai_chau:
        services.ensure_demo_keys(Agency.objects.filter(name="Ủy ban nhân dân phường Hải Châu"))


def procedure(code_or_name: str) -> Procedure:
    """A curated procedure by its national code, or by its exact name where it has none."""
    found = Procedure.objects.filter(code=code_or_name).first()
    return found or Procedure.objects.get(name=code_or_name, is_active=True)


def api_form(procedure_: Procedure | str, flat: Mapping[str, str | list[str]]) -> str:
    """A declaration as the submission page posts it (``addr-province``, ``group-0-field``, a
    list for several choices) as the API's ``form`` JSON, nested by the procedure's own form
    definition as the page nests it (``formengine.read_submission``)."""
    found = procedure(procedure_) if isinstance(procedure_, str) else procedure_
    return json.dumps(read_submission(found.current_version.parsed().form, flat),
                      ensure_ascii=False)


def client_for(user: User | str) -> Client:
    client = Client()
    client.force_login(user if isinstance(user, User) else User.objects.get(username=user))
    return client


@dataclass
class Officials:
    reception: User
    leader: User
    specialist: User


def officials(agency: Agency, *, position: str = "Phó Giám đốc") -> Officials:
    """The agency's reception officer, leader and specialist (made if the agency has none)."""
    people = {}
    for role, suffix, name in ((Role.RECEPTION_OFFICER, "motcua", "Lê Thị Tiếp Nhận"),
                               (Role.LEADER, "lanhdao", "Phạm Văn Lãnh Đạo"),
                               (Role.SPECIALIST, "chuyenvien", "Võ Thị Chuyên Viên")):
        member = (Membership.objects.filter(agency=agency, role=role)
                  .select_related("user").order_by("pk").first())
        if member is None:
            user, _created = User.objects.get_or_create(
                username=f"{suffix}.{agency.pk}", defaults={"full_name": name})
            member = Membership.objects.create(
                user=user, agency=agency, role=role,
                position=position if role == Role.LEADER else "")
        people[suffix] = member.user
    return Officials(people["motcua"], people["lanhdao"], people["chuyenvien"])


def receiving_agency(proc: Procedure, name: str | None = None) -> Agency:
    """Where the dossier is filed: the agency named, else the first the procedure allows (for a
    ward-level procedure, Phường Hải Châu when it is among them)."""
    agencies = list(submission.receiving_agencies(proc))
    assert agencies, f"{proc} has no receiving agency"
    if name:
        return next(a for a in agencies if a.name == name)
    return next((a for a in agencies if "Hải Châu" in a.name), agencies[0])


def file_online(proc: Procedure, form: dict[str, str], *, citizen: str = "congdan",
                agency: Agency | None = None, uploads: dict[int, tuple[str, bytes]] | None = None,
                extra: dict[str, str] | None = None) -> Dossier:
    """File through the submission page as ``citizen``: the declaration ``form`` (flat, as the
    HTML form posts it), a PDF for every mandatory document unless ``uploads`` gives them (by
    the document's index). Returns the submitted dossier."""
    agency = agency or receiving_agency(proc)
    definition = proc.current_version.parsed()
    files = {f"doc-{index}": SimpleUploadedFile(name, data, "application/pdf")
             for index, (name, data) in (uploads or {}).items()}
    if uploads is None:
        files = {f"doc-{index}": SimpleUploadedFile(f"giay-to-{index}.pdf", PDF,
                                                    "application/pdf")
                 for index, document in enumerate(definition.documents) if document.mandatory}
    client = client_for(citizen)
    url = f"/thu-tuc/{proc.code}/nop-ho-so/"
    response = check_then_file(client, url, {"agency": str(agency.pk), "delivery": "online",
                                             "action": "submit", **form, **files,
                                             **(extra or {})})
    assert response.status_code == 302, response.content.decode()[:4000]
    dossier = (Dossier.objects.filter(procedure=proc, applicant__username=citizen)
               .exclude(state="draft").order_by("-pk").first())
    assert dossier is not None and dossier.state == "submitted", dossier
    assert_declaration_carries(client, dossier, definition, form)
    return dossier


def assert_declaration_carries(client: Client, dossier: Dossier, definition,
                               form: Mapping[str, object]) -> None:
    """The filed declaration's PDF (results/declaration.py) carries the title and every text
    the applicant typed into a top-level text field."""
    response = client.get(f"/ho-so/{dossier.code}/to-khai.pdf")
    assert response.status_code == 200, response.status_code
    data = b"".join(response.streaming_content) if response.streaming else response.content
    text = pdf_text(data)
    typed = [form[f.key] for f in definition.form
             if f.type in (FieldType.TEXT, FieldType.TEXTAREA)
             and isinstance(form.get(f.key), str) and form[f.key].strip()]
    assert_carries(text, definition.declaration_title().upper(), dossier.code, *typed)


def act(client: Client, dossier: Dossier, action: str, **fields) -> None:
    dossier.refresh_from_db()
    response = client.post(f"/mot-cua/ho-so/{dossier.code}/",
                           {"action": action, "revision": dossier.revision, **fields})
    assert response.status_code == 302, (action, response.content.decode()[:3000])


def process_and_sign(dossier: Dossier, *, choice: str = "0",
                     valid_until: str = "") -> Result:
    """Receive, assign, examine and approve through the back office pages, then issue the
    result (``choice``: which of the procedure's results) and sign it (the worker runs
    immediately in tests)."""
    people = officials(dossier.agency)
    services.ensure_demo_keys(Agency.objects.filter(pk=dossier.agency_id))
    act(client_for(people.reception), dossier, "receive")
    act(client_for(people.leader), dossier, "assign", assignee=people.specialist.pk)
    act(client_for(people.specialist), dossier, "examine", note="Đủ điều kiện")
    act(client_for(people.leader), dossier, "approve")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client_for(people.specialist).post(
            f"/mot-cua/ket-qua/ho-so/{dossier.code}/ban-hanh/",
            {"choice": choice, "valid_until": valid_until})
    assert response.status_code == 302, response.content.decode()[:3000]
    result = Result.objects.get(dossier=dossier)
    assert result.is_ready, result
    return result


def download(result: Result, citizen: str = "congdan") -> bytes:
    response = client_for(citizen).get(f"/ket-qua/{result.token}/")
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def pdf_text(data: bytes) -> str:
    """The PDF's text with runs of white space made single spaces (lines joined)."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def assert_carries(text: str, *expected: str) -> None:
    missing = [e for e in expected if " ".join(e.split()) not in text]
    assert not missing, (missing, text)


def assert_signature_valid(data: bytes, folder: Path) -> None:
    """poppler's pdfsig, trusting the platform's CA, finds the signature valid and whole."""
    from tests.results_helpers import pdfsig

    report = pdfsig(data, services.trust_list()["roots"][0], folder)
    assert "Signature is Valid." in report, report
    assert "Certificate is Trusted." in report, report
    assert "Total document signed" in report, report
