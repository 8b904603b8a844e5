"""Shared helpers of the results tests: a dossier approved by the demo officials, issued and
signed (huey runs immediately in tests), the QR read back from the rendered PDF page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from dichvucong.catalog.models import Procedure
from dichvucong.dossiers.models import Dossier
from tests import builders
from tests.builders import HAI_CHAU, user  # noqa: F401 - the results tests import them from here

ID_NUMBER = "048090001234"


def approved_dossier(name: str = "Nguyễn Thị Thu Hà", *, procedure: Procedure | None = None,
                     form_data: dict | None = None, citizen: str = "congdan") -> Dossier:
    dossier = builders.filed(procedure, citizen=citizen, applicant_name=name,
                             applicant_id_number=ID_NUMBER, form_data=form_data or {})
    return builders.moved(dossier, "approved")


def qr_texts(pdf: bytes) -> list[str]:
    """Render every page (pypdfium2) and decode the QR codes on it (zxing-cpp)."""
    import pypdfium2
    import zxingcpp

    texts = []
    document = pypdfium2.PdfDocument(pdf)
    for index in range(len(document)):
        image = document[index].render(scale=3).to_pil()
        # QR codes only: a run of the text can read as a one-dimensional code (a Code 39
        # «B40$B» once, beside the QR).
        texts += [found.text for found in zxingcpp.read_barcodes(
            image, formats=zxingcpp.BarcodeFormat.QRCode)]
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
