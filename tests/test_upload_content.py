"""What is inside an upload (issue #21 item 4): a PDF that would act when an official opens it is
refused with a clear message and loses nothing else of the form; a photo is stored without the
metadata a phone writes into it (its GPS position), losslessly, keeping its orientation; a PDF
that passes is stored byte for byte (never rewritten, so a signed one keeps its signature).
The rules: ``dossiers/filecontent.py``."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from fpdf import FPDF
from PIL import Image, PngImagePlugin
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from dichvucong.dossiers import filecontent
from dichvucong.dossiers.models import Dossier
from dichvucong.dossiers.uploads import UploadError
from tests.test_dossier_submission import birth_post, citizen  # noqa: F401 - the fixture

GPS_IFD = 0x8825


def ordinary_pdf() -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text="Giay chung sinh")
    return bytes(document.output())


def written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with(change) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    change(writer)
    return written(writer)


def open_action(writer: PdfWriter) -> None:
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"),
        NameObject("/JS"): TextStringObject("app.alert('x')")})


def document_script(writer: PdfWriter) -> None:
    """A document-level script (the /Names /JavaScript tree), run when the file opens."""
    script = writer._add_object(DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"),
        NameObject("/JS"): TextStringObject("app.alert('x')")}))
    tree = writer._add_object(DictionaryObject({
        NameObject("/Names"): ArrayObject([TextStringObject("a"), script])}))
    writer._root_object[NameObject("/Names")] = DictionaryObject({
        NameObject("/JavaScript"): tree})


def launch_link(writer: PdfWriter) -> None:
    # A link whose action starts a program, hidden behind a harmless first action.
    launch = DictionaryObject({NameObject("/S"): NameObject("/Launch"),
                               NameObject("/F"): TextStringObject("calc.exe")})
    link = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([]),
        NameObject("/A"): DictionaryObject({
            NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject("https://x"),
            NameObject("/Next"): launch})})
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])


@pytest.mark.parametrize(("change", "named"), [
    (document_script, "JavaScript"),
    (open_action, "JavaScript"),
    (launch_link, "lệnh mở chương trình"),
    (lambda w: w.add_attachment("hoa-don.exe", b"MZ\x90\x00"), "tệp đính kèm"),
])
def test_a_pdf_that_would_act_when_opened_is_refused(change, named):
    with pytest.raises(UploadError, match=named) as refused:
        filecontent.clean("pdf", "giay-chung-sinh.pdf", pdf_with(change))
    assert "giay-chung-sinh.pdf" in str(refused.value) and "Print to PDF" in str(refused.value)


def test_ordinary_pdfs_pass_unchanged_and_unreadable_ones_only_when_inert():
    for data in (ordinary_pdf(), pdf_with(lambda w: None)):
        assert filecontent.clean("pdf", "a.pdf", data) is data
    # What the parser cannot read passes only with nothing that could hide code in it.
    inert = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert filecontent.clean("pdf", "a.pdf", inert) is inert
    for hidden in (b"%PDF-1.4\n1 0 obj<</Length 3>>stream\nabc\nendstream endobj\n%%EOF",
                   b"%PDF-1.4\n1 0 obj<</S/J#61vaScript>>endobj\n%%EOF",
                   b"%PDF-1.4\n1 0 obj<</OpenAction 2 0 R>>endobj\n%%EOF"):
        with pytest.raises(UploadError, match="bị hỏng"):
            filecontent.clean("pdf", "a.pdf", hidden)


def test_a_pdf_without_startxref_is_judged_without_the_parser(monkeypatch):
    # pypdf would scan it backwards to its first byte (13 ms of CPU for 200 KB, in Python) to
    # find what it needs in every path: the same answer, unreadable, at once.
    def parser(*args, **kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(filecontent, "PdfReader", parser)
    inert = b"%PDF-1.4\n" + b"0" * 200_000 + b"\n%%EOF"
    assert filecontent.clean("pdf", "a.pdf", inert) is inert
    with pytest.raises(UploadError, match="bị hỏng"):
        filecontent.clean("pdf", "a.pdf", inert.replace(b"000\n", b"stream\n"))


def test_a_pdf_locked_with_a_password_is_refused():
    def lock(writer: PdfWriter) -> None:
        writer.encrypt(user_password="1234", owner_password="5678")

    with pytest.raises(UploadError, match="đặt mật khẩu"):
        filecontent.clean("pdf", "a.pdf", pdf_with(lock))


def phone_photo(orientation: int = 6) -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[filecontent.ORIENTATION] = orientation
    exif[0x010F] = "Máy ảnh"  # make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (16.0, 3.0, 0.0), 3: "E", 4: (108.0, 12.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90, comment=b"16.05N 108.2E")
    return out.getvalue()


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.tobytes()


def test_a_photo_loses_its_position_but_not_a_pixel_nor_its_orientation():
    photo = phone_photo()
    with Image.open(io.BytesIO(photo)) as image:
        assert image.getexif().get_ifd(GPS_IFD)  # the test's photo does carry a position
    cleaned = filecontent.clean("jpeg", "anh.jpg", photo)
    with Image.open(io.BytesIO(cleaned)) as image:
        exif = image.getexif()
        assert dict(exif) == {filecontent.ORIENTATION: 6}
        assert not exif.get_ifd(GPS_IFD) and "comment" not in image.info
    assert pixels(cleaned) == pixels(photo) and b"108.2E" not in cleaned
    upright = filecontent.clean("jpeg", "anh.jpg", phone_photo(orientation=1))
    with Image.open(io.BytesIO(upright)) as image:
        assert not image.getexif()

    text = PngImagePlugin.PngInfo()
    text.add_text("GPS", "16.05N 108.2E")
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, "PNG", pnginfo=text)
    png = filecontent.clean("png", "anh.png", out.getvalue())
    assert b"108.2E" not in png and pixels(png) == pixels(out.getvalue())

    with pytest.raises(UploadError, match="bị hỏng"):
        filecontent.clean("jpeg", "anh.jpg", photo[:40])


@pytest.mark.django_db
def test_through_the_form_a_scripted_pdf_is_refused_and_a_photo_is_stored_clean(client,
                                                                               citizen):  # noqa: F811
    scripted = pdf_with(document_script)
    post = birth_post(**{"doc-1": SimpleUploadedFile("giay-chung-sinh.pdf", scripted)})
    html = client.post("/thu-tuc/1.001193/nop-ho-so/", post).content.decode()
    assert "chứa nội dung tự chạy khi mở (JavaScript)" in html
    assert "Đã đính kèm: to-khai.pdf" in html  # the good file is kept
    draft = Dossier.objects.get(applicant=citizen)
    assert [a.original_name for a in draft.attachments.all()] == ["to-khai.pdf"]

    photo = phone_photo()
    client.post("/thu-tuc/1.001193/nop-ho-so/", {
        **birth_post(), "draft": draft.pk,
        "doc-1": SimpleUploadedFile("giay-chung-sinh.jpg", photo, content_type="image/jpeg")})
    stored = draft.attachments.get(original_name="giay-chung-sinh.jpg")
    content = stored.file.read()
    assert b"108.2E" not in content and pixels(content) == pixels(photo)
    assert stored.size == len(content) and stored.sha256 == hashlib.sha256(content).hexdigest()
