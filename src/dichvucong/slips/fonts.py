"""The typeface of the slips: Be Vietnam Pro (fontpkg-be-vietnam-pro on PyPI), designed for
Vietnamese, with every precomposed letter and tone mark. Debian's DejaVu Sans, which also covers
Vietnamese, stands in only when the package's files are missing."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from fontTools.ttLib import TTFont

FAMILY = "SlipSans"  # the name the PDFs use internally
STYLES = {"": (400, "normal"), "B": (700, "normal"), "I": (400, "italic"), "BI": (700, "italic")}
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
DEJAVU_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
                "BI": "DejaVuSans-BoldOblique.ttf"}
# Tables fpdf2 neither reads (the slips use no text shaping) nor embeds (its subsetter drops
# them), which fontTools nevertheless decodes again at each PDF's subsetting: about a third of a
# declaration's output time. The PDFs use copies of the files without them.
UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "DSIG")
# The characters every PDF's subset of a style holds, in this order (``embedded.py``): printable
# ASCII, the Vietnamese letters with every tone, and the punctuation the slips and forms write.
VIETNAMESE_LETTERS = (
    "ăâđêôơưĂÂĐÊÔƠƯ"
    "àáãảạằắẵẳặầấẫẩậèéẽẻẹềếễểệìíĩỉịòóõỏọồốỗổộờớỡởợùúũủụừứữửựỳýỹỷỵ"
    "ÀÁÃẢẠẰẮẴẲẶẦẤẪẨẬÈÉẼẺẸỀẾỄỂỆÌÍĨỈỊÒÓÕỎỌỒỐỖỔỘỜỚỠỞỢÙÚŨỦỤỪỨỮỬỰỲÝỸỶỴ"
)
FIXED_CHARACTERS = ("".join(chr(code) for code in range(0x20, 0x7F)) + VIETNAMESE_LETTERS
                    + "«»–—…•·→“”‘’°₫€×")


@dataclass(frozen=True)
class FontSet:
    name: str  # the typeface, for people
    files: dict[str, Path]  # fpdf2 style ("", "B", "I", "BI") → TTF file


def _be_vietnam_pro() -> FontSet | None:
    try:  # an optional package: without it the slips use the fallback fonts
        import fontpkg
    except ImportError:
        return None
    try:
        files = {style: Path(fontpkg.path("Be Vietnam Pro", weight=weight, style=slant))
                 for style, (weight, slant) in STYLES.items()}
    except fontpkg.FontpkgError:
        return None
    if not all(path.is_file() for path in files.values()):
        return None
    return FontSet("Be Vietnam Pro", files)


def _dejavu() -> FontSet | None:
    files = {style: DEJAVU / name for style, name in DEJAVU_FILES.items()}
    if not all(path.is_file() for path in files.values()):
        return None
    return FontSet("DejaVu Sans", files)


def lean(path: Path) -> Path:
    """The file without ``UNUSED_TABLES``, made once in the data directory (named by the
    original's digest, so an upgraded package makes a new one); the original when the
    directory cannot be written."""
    data = path.read_bytes()
    target = (Path(settings.DATA_DIR) / "fonts"
              / f"{path.stem}-{hashlib.sha256(data).hexdigest()[:16]}.ttf")
    if target.is_file():
        return target
    font = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
    for tag in UNUSED_TABLES:
        if tag in font:
            del font[tag]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as out:
            font.save(out)
        os.replace(out.name, target)  # whole or absent, whichever process gets there first
    except OSError:
        return path
    return target


@lru_cache(maxsize=1)
def font_set() -> FontSet:
    found = _be_vietnam_pro() or _dejavu()
    if found is None:
        raise ImproperlyConfigured(
            "No font with Vietnamese letters for the slips: install fontpkg-be-vietnam-pro "
            "(pip) or fonts-dejavu-core (apt)."
        )
    return FontSet(found.name, {style: lean(path) for style, path in found.files.items()})
