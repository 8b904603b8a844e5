"""Shared helpers of the results tests: a dossier approved by the demo officials, issued and
signed (huey runs immediately in tests), the QR read back from the rendered PDF page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Procedure
from dichvucong.dossiers import actions, submission
from dichvucong.dossiers.lifecycle import Action, LifecycleRole
from dichvucong.dossiers.models import Dossier

HAI_CHAU = "Ủy ban nhân dân phường Hải Châu"
ID_NUMBER = "048090001234"
PATH = [("receive", "motcua", LifecycleRole.reception_officer),
        ("assign", "lanhdao", LifecycleRole.leader),
        ("examine", "chuyenvien", LifecycleRole.specialist),
        ("approve", "lanhdao", LifecycleRole.leader)]


def user(username: str) -> User:
    return User.objects.get(username=username)


def approved_dossier(name: str = "Nguyễn Thị Thu Hà", *, procedure: Procedure | None = None,
                     form_data: dict | None = None, citizen: str = "congdan") -> Dossier:
    procedure = procedure or Procedure.objects.get(code="1.001193")
    citizen = user(citizen)
    hai_chau = Agency.objects.get(name=HAI_CHAU)
    draft = submission.start_draft(procedure, citizen, hai_chau)
    Dossier.objects.filter(pk=draft.pk).update(applicant_name=name, applicant_id_number=ID_NUMBER,
                                               form_data=form_data or {})
    actions.perform(draft.pk, Action.submit, citizen, LifecycleRole.applicant)
    for action, who, role in PATH:
        actions.perform(draft.pk, action, user(f"{who}.haichau"), role)
        if action == "assign":
            Dossier.objects.filter(pk=draft.pk).update(assignee=user("chuyenvien.haichau"))
    return Dossier.objects.get(pk=draft.pk)


def qr_texts(pdf: bytes) -> list[str]:
    """Render every page (pypdfium2) and decode the QR codes on it (zxing-cpp)."""
    import pypdfium2
    import zxingcpp

    texts = []
    document = pypdfium2.PdfDocument(pdf)
    for index in range(len(document)):
        image = document[index].render(scale=3).to_pil()
        texts += [found.text for found in zxingcpp.read_barcodes(image)]
    return texts


def pdfsig(pdf: bytes, ca_pem: str, folder: Path) -> str:
    """poppler's pdfsig with an NSS database that trusts ``ca_pem``: its report."""
    nss = folder / "nss"
    if nss.exists():
        shutil.rmtree(nss)
    nss.mkdir(parents=True)
    (folder / "ca.pem").write_text(ca_pem)
    (folder / "doc.pdf").write_bytes(pdf)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True,
                   capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "ca", "-t", "CT,C,C", "-i",
                    str(folder / "ca.pem")], check=True, capture_output=True)
    done = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(folder / "doc.pdf")],
                          capture_output=True, text=True)
    return done.stdout
