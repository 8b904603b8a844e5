"""Reading an uploaded paper: an image or a PDF's first page to text, with Tesseract 5 and its
Vietnamese model from Debian (``tesseract-ocr``, ``tesseract-ocr-vie``). Plain Python, no HTTP.

Why Tesseract: it is the engine whose Vietnamese model ships as a Debian package (nothing is
downloaded at run time); EasyOCR and PaddleOCR fetch their models from the internet on first
use and bring PyTorch or Paddle with them. On the generated test set (``bench/bench_ocr.py``)
it reads a card's number, name and birth date in about a second a page.

A phone photo is seldom straight: Tesseract corrects a degree or two only, and a card photographed
9° askew gave no text at all. So the page is turned straight first (``straighten``: the angle
whose row profile is sharpest, searched on a small copy), then read.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

LANGUAGE = "vie"
TIMEOUT = 60  # seconds for one page: a worker never waits for ever
MAX_SIDE = 2400  # a larger photo is read no better, only slower
COARSE = range(-15, 16, 2)  # degrees, then ±1.5° around the best by quarter degrees


class EngineMissing(RuntimeError):
    """Tesseract (or pdftoppm, for PDFs) is not installed: ``apt-get install tesseract-ocr
    tesseract-ocr-vie poppler-utils``."""


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float  # the words' mean confidence, 0–100 (0: no word found)
    words: int
    angle: float  # how far the page was turned to read it


def available() -> bool:
    return shutil.which("tesseract") is not None


def _first_page(pdf: bytes) -> Image.Image:
    if shutil.which("pdftoppm") is None:
        raise EngineMissing("pdftoppm")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", str(source),
                        str(Path(folder) / "page")], check=True, timeout=TIMEOUT,
                       capture_output=True)
        page = next(Path(folder).glob("page*.png"))
        return Image.open(io.BytesIO(page.read_bytes()))


def _sharpness(small: Image.Image, angle: float) -> float:
    """How sharply the rows of dark text stand out when the page is turned by ``angle``: the
    variance of the rows' mean darkness (text lines are dark rows between light ones)."""
    turned = small.rotate(angle, resample=Image.BILINEAR, fillcolor=0)
    rows = list(turned.resize((1, turned.height), Image.BOX).get_flattened_data())
    mean = sum(rows) / len(rows)
    return sum((r - mean) ** 2 for r in rows) / len(rows)


def straighten(image: Image.Image) -> tuple[Image.Image, float]:
    gray = ImageOps.grayscale(image)
    small = gray.resize((max(1, gray.width * 600 // max(gray.size)),
                         max(1, gray.height * 600 // max(gray.size))), Image.BOX)
    # Ink (near black) → white, everything else (paper, a table behind it) → black.
    small = ImageOps.autocontrast(small).point(lambda v: 255 if v < 80 else 0)
    coarse = max(COARSE, key=lambda a: _sharpness(small, a))
    best = max((coarse + q / 4 for q in range(-6, 7)), key=lambda a: _sharpness(small, a))
    if best == 0:
        return gray, 0.0
    return gray.rotate(best, resample=Image.BICUBIC, expand=True, fillcolor=255), best


def read(content: bytes, kind: str) -> Reading:
    """``kind``: "pdf", "jpeg" or "png" (``uploads.check_upload``'s)."""
    if not available():
        raise EngineMissing("tesseract")
    image = _first_page(content) if kind == "pdf" else Image.open(io.BytesIO(content))
    image = ImageOps.exif_transpose(image)
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    page, angle = straighten(image)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "page.png"
        page.save(source)
        done = subprocess.run(["tesseract", str(source), "-", "-l", LANGUAGE, "--psm", "3",
                               "tsv"], capture_output=True, text=True, timeout=TIMEOUT,
                              check=True)
    return _from_tsv(done.stdout, angle)


def _from_tsv(tsv: str, angle: float) -> Reading:
    lines: dict[tuple, list[str]] = {}
    confidences: list[float] = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or not cells[11].strip():
            continue
        confidence = float(cells[10])
        if confidence < 0:
            continue
        confidences.append(confidence)
        lines.setdefault((cells[2], cells[3], cells[4]), []).append(cells[11])
    text = "\n".join(" ".join(words) for words in lines.values())
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return Reading(text=text, confidence=round(mean, 1), words=len(confidences), angle=angle)
