"""Reading an uploaded paper: an image or a PDF's first page to text, with Tesseract 5 and its
Vietnamese model from Debian (``tesseract-ocr``, ``tesseract-ocr-vie``). Plain Python, no HTTP.

Why Tesseract: it is the engine whose Vietnamese model ships as a Debian package (nothing is
downloaded at run time); EasyOCR and PaddleOCR fetch their models from the internet on first
use and bring PyTorch or Paddle with them. On the generated test set (``bench/bench_ocr.py``)
it reads a card's number, name and birth date in about a second a page.

A phone photo is seldom straight: Tesseract corrects a degree or two only, and a card photographed
9° askew gave no text at all. So the page is turned straight first (``straighten``: the angle
whose row profile is sharpest, searched on a small copy), then read.

Two things a citizen can fix by taking the photo again are measured on the way (``Reading``):
how sharp it is (the variance of the Laplacian on a 600-pixel copy, taken over the sharpest
tenth of its tiles so that a page with wide margins is not called blurred), and whether the
text runs to the photo's edge (a word within ``EDGE_MARGIN`` of the edge of the photo as taken:
the paper is probably cut).
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFilter, ImageOps, ImageStat

LANGUAGE = "vie"
TIMEOUT = 60  # seconds for one page: a worker never waits for ever
MAX_SIDE = 2400  # a larger photo is read no better, only slower
COARSE = range(-15, 16, 2)  # degrees, then ±1.5° around the best by quarter degrees
PAGES = 2  # of a PDF: a paper's key fields are on its first page or two
SHARPNESS_SIDE = 600  # pixels: the Laplacian's variance depends on the scale, so one scale
TILE = 60
# Calibrated on the generated cards only (``specimens.py``, 1012 px wide): blurred by a Gaussian
# of up to 1.6 px, which Tesseract reads well, they measure 1250 and more; of 2 px about 700; of
# 2.5 px, where it reads one field in three, about 300. Real phone photos: not measured yet.
BLURRED_BELOW = 500.0
SURE_WORD = 50.0  # confidence of a word whose box says where text is (not a speck of grain)
EDGE_MARGIN = 0.01  # of the photo's longer side
# One thread per Tesseract: the worker runs several reads at once, and OpenMP's threads in
# several processes at once make each read many times slower (tesseract-ocr/tesseract#3109).
ONE_THREAD = {**os.environ, "OMP_THREAD_LIMIT": "1"}
LAPLACIAN = ImageFilter.Kernel((3, 3), [0, 1, 0, 1, -4, 1, 0, 1, 0], scale=1, offset=128)


class EngineMissing(RuntimeError):
    """Tesseract (or pdftoppm, for PDFs) is not installed: ``apt-get install tesseract-ocr
    tesseract-ocr-vie poppler-utils``."""


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float  # the words' mean confidence, 0–100 (0: no word found)
    words: int
    angle: float  # how far the page was turned to read it
    sharpness: float = 0.0  # variance of the Laplacian (``sharpness``); 0: not measured (PDF)
    cut: bool = False  # a word touches the edge of the photo
    pages: int = 1

    @property
    def blurred(self) -> bool:
        return 0 < self.sharpness < BLURRED_BELOW


def available() -> bool:
    return shutil.which("tesseract") is not None


def _pdf_pages(pdf: bytes, count: int = PAGES) -> list[Image.Image]:
    """The first ``count`` pages, rendered by poppler's pdftoppm (already needed for pdfsig)."""
    if shutil.which("pdftoppm") is None:
        raise EngineMissing("pdftoppm")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "200", "-f", "1", "-l", str(count), "-png",
                        str(source), str(Path(folder) / "page")], check=True, timeout=TIMEOUT,
                       capture_output=True)
        return [Image.open(io.BytesIO(page.read_bytes()))
                for page in sorted(Path(folder).glob("page*.png"))]


def sharpness(image: Image.Image) -> float:
    """The variance of the Laplacian on a copy ``SHARPNESS_SIDE`` pixels long, in the sharpest
    tenth of its tiles: low when the photo is out of focus or shaken."""
    gray = ImageOps.grayscale(image)
    scale = SHARPNESS_SIDE / max(gray.size)
    small = gray.resize((max(1, round(gray.width * scale)), max(1, round(gray.height * scale))),
                        Image.BOX).filter(LAPLACIAN)
    tiles = sorted(ImageStat.Stat(small.crop((x, y, x + TILE, y + TILE))).var[0]
                   for x in range(1, max(2, small.width - TILE), TILE)
                   for y in range(1, max(2, small.height - TILE), TILE))
    top = tiles[-max(1, len(tiles) // 10):]
    return round(sum(top) / len(top), 1)


def _touches_edge(boxes: list[tuple[int, int, int, int]], size: tuple[int, int],
                  angle: float) -> bool:
    """Whether a word's box (on the page turned by ``angle``) lies within ``EDGE_MARGIN`` of the
    edge of the photo as taken (``size``): the photo as taken is turned the same way as a mask,
    shrunk by the margin, and each box's corners looked up in it."""
    if not boxes:
        return False
    step = 4  # the mask at a quarter of the size: fine enough for a margin of 1 %
    margin = max(1, round(max(size) * EDGE_MARGIN / step))
    mask = Image.new("L", (max(1, size[0] // step), max(1, size[1] // step)), 255)
    if angle:
        mask = mask.rotate(angle, resample=Image.NEAREST, expand=True, fillcolor=0)
    mask = ImageOps.expand(mask, border=margin + 1, fill=0).filter(
        ImageFilter.MinFilter(2 * margin + 1))
    offset = margin + 1
    for left, top, width, height in boxes:
        for x, y in ((left, top), (left + width, top), (left, top + height),
                     (left + width, top + height)):
            px = min(mask.width - 1, max(0, x // step + offset))
            py = min(mask.height - 1, max(0, y // step + offset))
            if mask.getpixel((px, py)) == 0:
                return True
    return False


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
    """``kind``: "pdf", "jpeg" or "png" (``uploads.check_upload``'s). A photo is also measured
    for blur and a cut edge; a PDF (a scan or a born-digital paper) is not."""
    if not available():
        raise EngineMissing("tesseract")
    if kind == "pdf":
        readings = [_read_page(page, photo=False) for page in _pdf_pages(content)]
        words = sum(r.words for r in readings)
        return Reading(
            text="\n".join(r.text for r in readings),
            confidence=round(sum(r.confidence * r.words for r in readings) / words, 1)
            if words else 0.0, words=words, angle=readings[0].angle if readings else 0.0,
            pages=len(readings))
    return _read_page(Image.open(io.BytesIO(content)), photo=True)


def _read_page(image: Image.Image, photo: bool) -> Reading:
    image = ImageOps.exif_transpose(image)
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    page, angle = straighten(image)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "page.png"
        page.save(source)
        done = subprocess.run(["tesseract", str(source), "-", "-l", LANGUAGE, "--psm", "3",
                               "tsv"], capture_output=True, text=True, timeout=TIMEOUT,
                              check=True, env=ONE_THREAD)
    reading, boxes = _from_tsv(done.stdout, angle)
    if not photo:
        return reading
    return dataclasses.replace(reading, sharpness=sharpness(image),
                               cut=_touches_edge(boxes, image.size, angle))


def _from_tsv(tsv: str, angle: float) -> tuple[Reading, list[tuple[int, int, int, int]]]:
    """The reading, and the boxes of the words read surely enough to say text is there."""
    lines: dict[tuple, list[str]] = {}
    confidences: list[float] = []
    boxes = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or not cells[11].strip():
            continue
        confidence = float(cells[10])
        if confidence < 0:
            continue
        confidences.append(confidence)
        lines.setdefault((cells[2], cells[3], cells[4]), []).append(cells[11])
        if confidence >= SURE_WORD and len(cells[11].strip()) > 1:
            boxes.append((int(cells[6]), int(cells[7]), int(cells[8]), int(cells[9])))
    text = "\n".join(" ".join(words) for words in lines.values())
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return Reading(text=text, confidence=round(mean, 1), words=len(confidences),
                   angle=angle), boxes
