"""The papers citizens upload, read by the worker and set against the form (#23 item 2).

The pipeline's ``read`` step (``pipeline/steps.py``) calls ``read_dossier`` after a photo or a
PDF is stored on a dossier or a draft, never the request: the engine (``reading/engine.py``,
Tesseract) costs about a second a page. What was read is kept on the file's row
(``Attachment.reading``), once: a row already read is left as it is, so a step run twice reads
once. The comparison with the form is made when a page shows it (``findings``), against the form
as it is then: a draft's form changes after its files are read.

Nothing is refused on a reading: the citizen sees a warning on the check page before filing
and the officer the same on the dossier's page; the officer decides.
"""

from __future__ import annotations

import logging
import subprocess
import time
from dataclasses import dataclass, field

from django.conf import settings
from PIL import UnidentifiedImageError

from dichvucong.catalog.definition import ProfileKey
from dichvucong.dossiers.models import Attachment, Dossier
from dichvucong.reading import engine, papers

logger = logging.getLogger(__name__)

READABLE = {"image/jpeg": "jpeg", "image/png": "png", "application/pdf": "pdf"}
PENDING, READ, UNAVAILABLE = "pending", "read", "unavailable"
SKIPPED = "skipped"  # stored before papers were read (migration 0009): never read, not shown
# Forms designed before ``prefill`` existed: the applicant's own fields by their usual keys.
LEGACY_KEYS = {"ho_ten": ProfileKey.FULL_NAME, "so_dinh_danh": ProfileKey.ID_NUMBER,
               "ngay_sinh": ProfileKey.DATE_OF_BIRTH}
# A birth notice (giấy chứng sinh) is set against the birth registration's form: the mother and
# the child there (the catalog's «Đăng ký khai sinh», procedures.json).
BIRTH_NOTICE_KEYS = {"mother_name": "me_ho_ten", "mother_id_number": "me_so_dinh_danh",
                     "child_date_of_birth": "tre_ngay_sinh"}
APPLICANT_PAPERS = (papers.CCCD, papers.RESIDENCE, papers.BIRTH_CERTIFICATE)


def wanted(attachment: Attachment) -> bool:
    """Whether the worker reads this file: an upload (not the rendered declaration) of a kind
    the engine reads, when reading is on. No query."""
    return (settings.READ_UPLOADS and not attachment.declaration
            and attachment.content_type in READABLE)


def read_attachment(attachment: Attachment) -> dict:
    """Read one file and keep the reading on its row (unless another run kept one first)."""
    started = time.perf_counter()
    try:
        with attachment.file.open("rb") as handle:
            content = handle.read()
        found = engine.read(content, READABLE[attachment.content_type])
    except (engine.EngineMissing, subprocess.CalledProcessError, UnidentifiedImageError,
            OSError) as exc:
        # The engine missing, or a file it cannot open (a PDF pdftoppm cannot render): the
        # same next time, so kept as not read instead of retried; the officer reads the file.
        # A timeout (a busy machine) is raised instead, and the step tried again later.
        logger.warning("reading: file %s not read (%s)", attachment.pk, type(exc).__name__)
        reading = {"status": UNAVAILABLE}
    else:
        paper = papers.find(found.text)
        reading = {
            "status": READ, "kind": paper.kind, "fields": paper.fields,
            "confidence": found.confidence, "words": found.words, "pages": found.pages,
            "sharpness": found.sharpness, "cut": found.cut,
            "problems": papers.problems(found.confidence, found.words, found.blurred,
                                        found.cut),
            "seconds": round(time.perf_counter() - started, 2)}
    Attachment.objects.filter(pk=attachment.pk, reading__isnull=True).update(reading=reading)
    return reading


def read_dossier(dossier_id: int | None, attachment_id: int | None = None) -> int:
    """Read the dossier's files not read yet (``attachment_id``: that one only). Returns how
    many were read."""
    unread = Attachment.objects.filter(dossier_id=dossier_id, reading__isnull=True,
                                       declaration=False,
                                       content_type__in=list(READABLE))
    if attachment_id is not None:
        unread = unread.filter(pk=attachment_id)
    count = 0
    for attachment in unread.order_by("id"):
        read_attachment(attachment)
        count += 1
    return count


def expected(dossier: Dossier, kind: str) -> dict[str, str]:
    """What a paper of ``kind`` should say, from the dossier's form (and the applicant's name
    and number on the dossier when the form has no such field)."""
    form = dossier.form_data or {}
    if kind == papers.BIRTH_NOTICE:
        return {name: str(form.get(key) or "") for name, key in BIRTH_NOTICE_KEYS.items()}
    if kind not in APPLICANT_PAPERS:
        return {}
    definition = dossier.procedure_version.parsed()
    declared = any(f.prefill for f in definition.form)
    values = {"full_name": dossier.applicant_name, "id_number": dossier.applicant_id_number}
    for form_field in definition.form:
        key = form_field.prefill or (None if declared else LEGACY_KEYS.get(form_field.key))
        if key in (ProfileKey.FULL_NAME, ProfileKey.ID_NUMBER, ProfileKey.DATE_OF_BIRTH) and (
                value := form.get(form_field.key)):
            values[str(key)] = str(value)
    return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class Finding:
    """One file's reading as a page shows it."""

    document: str
    file_name: str
    status: str  # PENDING, READ or UNAVAILABLE
    kind: str = ""  # the paper's name, "" when not told
    fields: list[tuple[str, str]] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def retake(self) -> str:
        return papers.RETAKE if self.problems else ""

    @property
    def warns(self) -> bool:
        return bool(self.mismatches or self.problems)


def findings(dossier: Dossier, attachments: list[Attachment] | None = None) -> list[Finding]:
    """The readings of the dossier's uploads, each set against the form as it is now."""
    attachments = list(dossier.attachments.all()) if attachments is None else attachments
    out = []
    for attachment in attachments:
        reading = attachment.reading
        if reading is None and not wanted(attachment):
            continue
        status = PENDING if reading is None else reading.get("status", READ)
        if status == SKIPPED:
            continue
        if status != READ:
            out.append(Finding(attachment.requirement, attachment.original_name, status))
            continue
        kind = reading.get("kind", "")
        paper = papers.Paper(kind=kind, fields=reading.get("fields", {}))
        out.append(Finding(
            attachment.requirement, attachment.original_name, READ,
            kind=papers.LABELS.get(kind, ""),
            fields=[(papers.FIELD_LABELS.get(k, k), papers.shown(k, v))
                    for k, v in paper.fields.items()],
            mismatches=[m.sentence for m in papers.compare(paper, expected(dossier, kind))],
            problems=[papers.PROBLEMS[p] for p in reading.get("problems", [])
                      if p in papers.PROBLEMS]))
    return out

