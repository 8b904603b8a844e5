"""What is inside an upload, beyond its type (``uploads.py`` checks the type): a PDF that would
run something when an official opens it is refused, and a photo loses the metadata a phone
writes into it (GPS position, device, time) before it is stored. Plain Python.

PDFs are refused, never cleaned: rewriting one would break the signature of a signed paper
(a result reused from the store, a certificate), and a citizen can always print to PDF again.
Photos are cleaned losslessly, by dropping their metadata segments instead of re-encoding: no
quality is lost, it costs microseconds instead of a decode and an encode of 12 megapixels, and
the orientation the phone recorded is written back so the photo is not shown on its side.
"""

from __future__ import annotations

import io
import re
import struct

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject

from dichvucong.dossiers.uploads import UploadError

# Actions that run code, start a program, or fetch and open something else.
ACTIVE_ACTIONS = {"/JavaScript": "JavaScript", "/Launch": "lệnh mở chương trình",
                  "/ImportData": "lệnh nhập dữ liệu",
                  "/RichMediaExecute": "nội dung đa phương tiện", "/GoToE": "tệp đính kèm",
                  "/SubmitForm": "lệnh gửi biểu mẫu đi nơi khác"}
ACTIVE_ANNOTATIONS = {"/FileAttachment": "tệp đính kèm", "/RichMedia": "nội dung đa phương tiện",
                      "/Movie": "nội dung đa phương tiện", "/Sound": "nội dung đa phương tiện",
                      "/Screen": "nội dung đa phương tiện"}
# In a file the parser could not read: a name that may act, or any name written with a #xx
# escape (``/J#61vaScript``), which honest producers never need for these.
UNREADABLE_ACTIVE = re.compile(
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|OpenAction|AA|SubmitForm|"
    rb"ImportData|GoToE)\b|/[A-Za-z]*#[0-9A-Fa-f]{2}")
ACTION_CHAIN_LIMIT = 20  # an action's /Next chain; a longer one is itself suspect


def _object(value):
    return value.get_object() if hasattr(value, "get_object") else value


def _actions(value, found: set[str], depth: int = 0) -> None:
    """An action (or array of actions) and the ones chained to it by /Next."""
    value = _object(value)
    if depth > ACTION_CHAIN_LIMIT:
        found.add("chuỗi lệnh bất thường")
        return
    if isinstance(value, ArrayObject):
        for item in value:
            _actions(item, found, depth + 1)
        return
    if not isinstance(value, DictionaryObject):
        return
    kind = value.get("/S")
    if kind in ACTIVE_ACTIONS:
        found.add(ACTIVE_ACTIONS[kind])
    if "/JS" in value:
        found.add("JavaScript")
    if "/Next" in value:
        _actions(value["/Next"], found, depth + 1)


def _additional_actions(holder: DictionaryObject, found: set[str]) -> None:
    """An /AA dictionary: actions run on opening, closing, a key stroke, a page shown."""
    table = _object(holder.get("/AA"))
    if isinstance(table, DictionaryObject):
        for action in table.values():
            _actions(action, found)


def pdf_active_content(data: bytes) -> list[str]:
    """What in the PDF would act when opened (empty: nothing). Raises UploadError when it
    cannot be read at all or is locked with a password."""
    try:
        if data.rfind(b"startxref") < 0:
            # pypdf needs the keyword in every path and, without it, looks for it line by line
            # back to the first byte: 13 ms of CPU for 200 KB without a line break, 0.6 s for
            # 10 MB. Its answer is known: unreadable. Searched from the end, where a PDF keeps
            # it: ``in`` searched from the first byte, 0.08 ms for 200 KB of compressed pages
            # and 0.6 ms for the load kit's page of one repeated character; this, 0.2 µs.
            raise PdfReadError("startxref not found")
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UploadError("đặt mật khẩu")
        root = _object(reader.trailer["/Root"])
        found: set[str] = set()
        names = _object(root.get("/Names"))
        if isinstance(names, DictionaryObject):
            if "/JavaScript" in names:
                found.add("JavaScript")
            if "/EmbeddedFiles" in names:
                found.add("tệp đính kèm")
        if "/OpenAction" in root:
            _actions(root["/OpenAction"], found)
        _additional_actions(root, found)
        form = _object(root.get("/AcroForm"))
        if isinstance(form, DictionaryObject) and "/XFA" in form:
            found.add("biểu mẫu XFA")
        for page in reader.pages:
            _additional_actions(page, found)
            for annotation in _object(page.get("/Annots")) or []:
                annotation = _object(annotation)
                if not isinstance(annotation, DictionaryObject):
                    continue
                subtype = annotation.get("/Subtype")
                if subtype in ACTIVE_ANNOTATIONS:
                    found.add(ACTIVE_ANNOTATIONS[subtype])
                if "/A" in annotation:
                    _actions(annotation["/A"], found)
                _additional_actions(annotation, found)
    except UploadError:
        raise
    except (PdfReadError, KeyError, ValueError, TypeError, AttributeError, IndexError,
            RecursionError, struct.error) as exc:
        # What the parser cannot read is accepted only if nothing in it could hide code: no
        # stream (compressed content a viewer might still find) and no active name in clear.
        if b"stream" in data or UNREADABLE_ACTIVE.search(data):
            raise UploadError("hỏng") from exc
        return []
    return sorted(found)


def check_pdf(name: str, data: bytes) -> None:
    try:
        found = pdf_active_content(data)
    except UploadError as exc:
        if str(exc) == "đặt mật khẩu":
            raise UploadError(f"Tệp «{name}» được đặt mật khẩu nên cán bộ không mở được; "
                              "vui lòng tải lên bản không đặt mật khẩu.") from None
        raise UploadError(f"Tệp «{name}» bị hỏng, không đọc được nội dung PDF; vui lòng "
                          "quét hoặc xuất lại tệp PDF.") from None
    if found:
        raise UploadError(
            f"Tệp «{name}» chứa nội dung tự chạy khi mở ({', '.join(found)}), không được nhận "
            "để bảo vệ máy của cán bộ. Vui lòng in lại thành PDF («Print to PDF»/«Lưu dưới "
            "dạng PDF») hoặc quét lại giấy tờ rồi tải lên.")


# --- photos -------------------------------------------------------------------------------------

ORIENTATION = 0x0112
# JPEG segments kept: JFIF (APP0), the colour profile (APP2) and Adobe's colour transform
# (APP14), which decoders need; every other APPn (Exif and XMP in APP1, IPTC in APP13, makers'
# notes) and comments (COM) go.
JPEG_KEPT_APPS = {0xE0, 0xE2, 0xEE}
JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RSTn: markers without a length
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_DROPPED = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def _orientation(data: bytes) -> int:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return int(image.getexif().get(ORIENTATION, 1))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return 1


def strip_jpeg(data: bytes) -> bytes:
    """The JPEG without its metadata segments; raises ValueError when it is not a well-formed
    JPEG up to its image data."""
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("no SOI")
    orientation = _orientation(data)
    out = bytearray(b"\xff\xd8")
    if orientation != 1:  # only the orientation goes back, in a minimal Exif segment
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        payload = exif.tobytes()
        out += b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    position = 2
    while True:
        if position + 4 > len(data) or data[position] != 0xFF:
            raise ValueError("bad marker")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in JPEG_STANDALONE:
            out += data[position:position + 2]
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2:position + 4])
        end = position + 2 + length
        if length < 2 or end > len(data):
            raise ValueError("bad length")
        if marker == 0xDA:  # start of scan: the image data follows, copied as it is
            out += data[position:]
            return bytes(out)
        dropped = (0xE0 <= marker <= 0xEF and marker not in JPEG_KEPT_APPS) or marker == 0xFE
        if not dropped:
            out += data[position:end]
        position = end


def strip_png(data: bytes) -> bytes:
    """The PNG without its text, time and Exif chunks (each chunk keeps its own CRC)."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("no signature")
    out = bytearray(PNG_SIGNATURE)
    position = len(PNG_SIGNATURE)
    while position < len(data):
        if position + 12 > len(data):
            raise ValueError("truncated chunk")
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        end = position + 12 + length
        if end > len(data):
            raise ValueError("truncated chunk")
        if kind not in PNG_DROPPED:
            out += data[position:end]
        position = end
        if kind == b"IEND":
            return bytes(out)
    raise ValueError("no IEND")


def clean(kind: str, name: str, data: bytes) -> bytes:
    """The content to store for an upload of ``kind`` (``uploads.SIGNATURES``): a PDF as it
    is, once checked; a photo without its metadata. Raises UploadError, in Vietnamese."""
    if kind == "pdf":
        check_pdf(name, data)
        return data
    try:
        if kind == "jpeg":
            return strip_jpeg(data)
        if kind == "png":
            return strip_png(data)
    except ValueError:
        raise UploadError(f"Tệp ảnh «{name}» bị hỏng, không đọc được; vui lòng chụp hoặc quét "
                          "lại rồi tải lên.") from None
    return data
