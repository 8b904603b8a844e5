"""Issue #23 item 4: how an account's identity was established, and a procedure that requires a
level (Decree 69/2024/NĐ-CP's VNeID levels). Through HTTP: the procedure page says so, the form
and the API refuse a password-only account, and the same citizen files once VNeID vouched at
level 2."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from dichvucong.accounts import assurance
from dichvucong.accounts.assurance import IdentitySource
from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import ProcedureDefinition
from dichvucong.catalog.services import import_definitions
from dichvucong.dossiers.models import Dossier

CODE = "1.990173"
HAI_CHAU = "Ủy ban nhân dân phường Hải Châu"


def test_the_provider_states_the_level():
    assert assurance.vneid_source("2") == IdentitySource.VNEID_2
    assert assurance.vneid_source("urn:vneid:loa:2") == IdentitySource.VNEID_2
    assert assurance.vneid_source("muc2") == IdentitySource.VNEID_2
    for stated in (None, "", "1", "12x", "level 1", "22a"):
        assert assurance.vneid_source(stated) == IdentitySource.VNEID_1, stated


@given(st.sampled_from(IdentitySource.values), st.sampled_from(IdentitySource.values),
       st.integers(0, 2))
def test_a_weaker_proof_never_replaces_a_stronger_one(current, new, required):
    kept = assurance.stronger(current, new)
    assert kept in (current, new)
    assert assurance.level_of(kept) == max(assurance.level_of(current), assurance.level_of(new))
    if assurance.meets(current, required):
        assert assurance.meets(kept, required)


@pytest.fixture
def procedure(db):
    import_definitions([ProcedureDefinition.model_validate({
        "code": CODE, "name": "Thủ tục thử cần định danh mức 2", "field": "Thử nghiệm",
        "levels": ["commune"], "online_mode": "full", "identity_level": 2,
        "channels": [{"channel": "online"}, {"channel": "in_person"}],
        "processing": {"time_limit": {"value": "3", "unit": "working_days"}},
        "form": [{"key": "ly_do", "label": "Lý do", "type": "text", "required": True}]})])


@pytest.mark.django_db
def test_a_procedure_that_requires_level_2_refuses_a_password_account(procedure):
    page = Client().get(f"/thu-tuc/{CODE}/").content.decode()
    assert 'id="identity-level"' in page and "VNeID mức 2" in page

    citizen = User.objects.get(username="congdan")
    assert citizen.identity_source == IdentitySource.PASSWORD
    client = Client()
    client.force_login(citizen)
    response = client.get(f"/thu-tuc/{CODE}/nop-ho-so/")
    assert response.status_code == 403
    assert 'id="identity-required"' in response.content.decode()
    agency = Agency.objects.get(name=HAI_CHAU)
    filing = {"procedure": CODE, "agency": agency.pk, "form": json.dumps({"ly_do": "Thử"})}
    response = client.post("/api/v1/dossiers", filing)
    assert response.status_code == 403 and "VNeID mức 2" in response.json()["detail"]
    assert not Dossier.objects.filter(procedure__code=CODE).exists()

    User.objects.filter(pk=citizen.pk).update(identity_source=IdentitySource.VNEID_1)
    assert client.get(f"/thu-tuc/{CODE}/nop-ho-so/").status_code == 403  # level 1 is not enough
    User.objects.filter(pk=citizen.pk).update(identity_source=IdentitySource.VNEID_2)
    assert client.get(f"/thu-tuc/{CODE}/nop-ho-so/").status_code == 200
    response = client.post("/api/v1/dossiers", filing)
    assert response.status_code == 201, response.content.decode()[:500]
