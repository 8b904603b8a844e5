"""The typeface of the slips: Be Vietnam Pro (fontpkg-be-vietnam-pro on PyPI), designed for
Vietnamese, with every precomposed letter and tone mark. Debian's DejaVu Sans, which also covers
Vietnamese, stands in only when the package's files are missing."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

FAMILY = "SlipSans"  # the name the PDFs use internally
STYLES = {"": (400, "normal"), "B": (700, "normal"), "I": (400, "italic"), "BI": (700, "italic")}
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
DEJAVU_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
                "BI": "DejaVuSans-BoldOblique.ttf"}


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


@lru_cache(maxsize=1)
def font_set() -> FontSet:
    found = _be_vietnam_pro() or _dejavu()
    if found is None:
        raise ImproperlyConfigured(
            "No font with Vietnamese letters for the slips: install fontpkg-be-vietnam-pro "
            "(pip) or fonts-dejavu-core (apt)."
        )
    return found
