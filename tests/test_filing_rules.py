"""Issue #16 item 3: the filing rules live in ``dossiers/submission.py`` (the page and the API
call the same ``check_filing``), and a filing's fee is priced once (at the counter too:
tests/test_backoffice.py)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dichvucong.agencies.models import Agency
from dichvucong.dossiers.models import Dossier
from dichvucong.payments import fees
from dichvucong.payments.models import DossierFee
from tests.birth_helpers import birth_form, birth_form_json

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BIRTH = "1.001193"  # Đăng ký khai sinh: the e-declaration and the birth attestation


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def hai_chau() -> Agency:
    return Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu")


def logged_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password="demo-dichvucong")
    return client


@pytest.fixture
def quotes(monkeypatch) -> list:
    """Each pricing of a dossier by the fee rules (the real ``fees.quote``, counted)."""
    calls: list = []
    real = fees.quote

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(fees, "quote", counted)
    return calls


def test_the_page_prices_a_filing_once(quotes):
    client, url = logged_in("congdan"), f"/thu-tuc/{BIRTH}/nop-ho-so/"
    check = client.post(url, {
        "agency": str(hai_chau().pk), "delivery": "online", "action": "submit", **birth_form(),
        "doc-0": pdf("to-khai.pdf"), "doc-1": pdf("giay-chung-sinh.pdf")})
    assert check.status_code == 200 and len(quotes) == 1  # the fee «Kiểm tra lại» shows
    draft = Dossier.objects.get(procedure__code=BIRTH)
    response = client.post(url, {"draft": draft.pk, "action": "confirm"})
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get(procedure__code=BIRTH)
    assert len(quotes) == 2  # filing priced it once
    assert DossierFee.objects.get(dossier=dossier).amount == dossier.fee_amount


def test_the_api_prices_a_filing_once(quotes):
    response = logged_in("congdan").post("/api/v1/dossiers", {
        "procedure": BIRTH, "agency": hai_chau().pk, "form": json.dumps(birth_form_json()),
        "documents": json.dumps([0, 1]), "files": [pdf("a.pdf"), pdf("b.pdf")]})
    assert response.status_code == 201, response.content
    dossier = Dossier.objects.get(code=response.json()["code"])
    assert len(quotes) == 1
    assert DossierFee.objects.get(dossier=dossier).amount == dossier.fee_amount


def test_the_api_answers_every_filing_error_by_field():
    """The API's Problem names each input that is wrong, as the page shows each beside it."""
    response = logged_in("congdan").post("/api/v1/dossiers", {
        "procedure": BIRTH, "agency": Agency.objects.get(name="Sở Tư pháp").pk,
        "form": json.dumps(birth_form_json()),
        "delivery": "pigeon", "documents": json.dumps([0]), "files": [pdf("a.pdf")]})
    assert response.status_code == 400
    problem = response.json()
    assert set(problem["errors"]) == {"agency", "delivery", "documents.1"}
    assert "Giấy chứng sinh" in problem["errors"]["documents.1"][0]
    assert "Giấy chứng sinh" in problem["detail"]
    assert not Dossier.objects.exists()


def test_the_receiving_agency_is_one_that_takes_the_procedure():
    """``receiving_agency`` (a query composed once per connection) finds what
    ``receiving_agencies`` lists: the province agency of a province procedure, whether active or
    not as before; an active committee for a commune one; nothing for any other number."""
    from dichvucong.catalog.models import Procedure
    from dichvucong.dossiers.submission import receiving_agencies, receiving_agency

    commune = Procedure.objects.get(code=BIRTH)
    province = Procedure.objects.filter(at_province=True, agency__isnull=False).first()
    own = province.agency
    assert receiving_agency(commune, hai_chau().pk) == hai_chau()
    assert receiving_agency(commune, str(hai_chau().pk)) == hai_chau()
    assert receiving_agency(province, own.pk) == own
    assert receiving_agency(province, hai_chau().pk) is None
    assert receiving_agency(commune, own.pk) is None  # not a committee
    for wrong in ("abc", "", 2**40, -(2**40)):
        assert receiving_agency(commune, wrong) is None
    Agency.objects.filter(pk__in=[hai_chau().pk, own.pk]).update(is_active=False)
    assert receiving_agency(commune, hai_chau().pk) is None
    assert receiving_agency(province, own.pk) == own == receiving_agencies(province).get()


def test_the_page_refuses_an_unknown_delivery_as_the_api_does():
    """The page used to file an unknown delivery as «online» where the API refused it."""
    client = logged_in("congdan")
    response = client.post(f"/thu-tuc/{BIRTH}/nop-ho-so/", {
        "agency": str(hai_chau().pk), "delivery": "pigeon", "action": "submit", **birth_form(),
        "doc-0": pdf("to-khai.pdf"), "doc-1": pdf("giay-chung-sinh.pdf")})
    assert response.status_code == 200
    assert "Cách nhận kết quả không hợp lệ." in response.content.decode()
    draft = Dossier.objects.get(procedure__code=BIRTH)
    assert draft.state == "draft" and draft.attachments.count() == 2  # the input is kept


def test_an_e_form_stands_for_its_declaration_document():
    """A mandatory «Tờ khai…» is not asked as an upload when the procedure has an e-form: the
    filing renders it (results/declaration.py). Without a form it is still required."""
    from dichvucong.catalog.definition import ProcedureDefinition
    from dichvucong.dossiers.submission import missing_documents

    data = {"code": "TST.900091", "name": "Thủ tục thử có tờ khai", "field": "Thử nghiệm",
            "levels": ["commune"],
            "documents": [{"name": "Tờ khai đề nghị thử nghiệm"}, {"name": "Giấy tờ khác"}]}
    definition = ProcedureDefinition.model_validate(data)
    assert missing_documents(definition, []) == [0, 1]
    with_form = ProcedureDefinition.model_validate(
        {**data, "form": [{"key": "ho_ten", "label": "Họ và tên", "type": "text"}]})
    assert missing_documents(with_form, []) == [1]
    assert with_form.declaration_title() == "Tờ khai đề nghị thử nghiệm"
    assert ProcedureDefinition.model_validate(
        {**data, "documents": []}).declaration_title() == "Tờ khai thủ tục thử có tờ khai"
