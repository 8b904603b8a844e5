"""The typeface parsed, and its embedded subset made, once per process instead of once per PDF.

fpdf2 embeds in each PDF a subset of each style used, made by fontTools from the glyphs that PDF
used (subsetting, then writing the font file): about 8 ms of CPU a style whatever the text,
three quarters of a declaration's output. The slips instead give every PDF the same subset of
each style, the characters of Vietnamese text (``fonts.FIXED_CHARACTERS``, picked first, in a
fixed order, so that every PDF codes them alike). fpdf2 writes that subset's PDF objects once per
process (its own output code, on a throwaway document); each PDF then gets copies of them. A PDF
that used a character outside the set is written by fpdf2 as before, the set and the rest.

Parsing a style's file (its metrics, its characters' widths) took another 4 ms a PDF: each PDF
gets a copy of a font parsed once (``typeface``), with its own subset map and its own handle on
the file (its tables are read only if fpdf2's own subsetting runs, for a character outside the
set).

The cost: the embedded subsets are larger (about 25 KB a style compressed, against 9–10 KB for
the few dozen glyphs of a typical slip).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import TextEmphasis
from fpdf.fonts import Glyph, SubsetMap, TTFFont
from fpdf.output import OutputProducer
from fpdf.syntax import PDFArray, PDFObject

from dichvucong.slips.fonts import FIXED_CHARACTERS


@dataclass(frozen=True)
class Embedded:
    """One style's objects as fpdf2 wrote them: the font (``top``) and the objects it refers to,
    directly or not (the descendant font, its descriptor and font file, the maps)."""

    glyphs: frozenset[tuple[Glyph | None, int]]  # the subset map: glyph → code
    objects: tuple[PDFObject, ...]
    top: PDFObject


_made: dict[str, Embedded] = {}
_parsed: dict[str, TTFFont] = {}
_lock = threading.Lock()


class Typeface(TTFFont):
    """fpdf2's TrueType font, measuring a text's width in one pass of C: fpdf2's line breaking
    measures the line again from its start at each letter it adds (in a wrapping paragraph,
    most of a declaration's layout then), each letter's width looked up in a Python loop."""

    def get_text_width(self, text, font_size_pt, text_shaping_params):
        if text_shaping_params or self.is_symbol:
            return super().get_text_width(text, font_size_pt, text_shaping_params)
        if font_size_pt > self.biggest_size_pt:
            self.biggest_size_pt = font_size_pt
        # the same integer sum as fpdf2's, so the same width
        return len(text), sum(map(self.cw.__getitem__, map(ord, text))) * font_size_pt * 0.001


def _parse(path: Path) -> TTFFont:
    return Typeface(FPDF(), path, "parsed", "")


def typeface(pdf: FPDF, family: str, style: str, path: Path) -> TTFFont:
    """What ``pdf.add_font(family, style, path)`` adds, from the file parsed once per process:
    the metrics shared, what a PDF changes (the subset map, the glyphs found missing, the
    largest size, the widths' defaults filled in) its own."""
    parsed = _parsed.get(str(path))
    if parsed is None:
        with _lock:
            parsed = _parsed.get(str(path)) or _parsed.setdefault(str(path), _parse(path))
    font = copy.copy(parsed)
    font.i = len(pdf.fonts) + 1
    font.fontkey = f"{family.lower()}{style}"
    font.emphasis = TextEmphasis.coerce(style)
    font.desc = copy.copy(parsed.desc)
    font.cw = copy.copy(parsed.cw)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    # the glyphs as the typeface has them: fpdf2 opens it with fontTools' default, which
    # decodes and re-encodes every glyph kept to recompute bounds a subset does not change
    font.ttfont = TTFont(path, recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font
    return font


def pick_fixed(font: TTFFont) -> None:
    """Pick the fixed characters the typeface has into ``font``'s subset, first and in order."""
    pick = font.subset.pick
    for character in FIXED_CHARACTERS:
        if ord(character) in font.glyph_ids:
            pick(ord(character))


def _glyphs(font: TTFFont) -> frozenset[tuple[Glyph | None, int]]:
    return frozenset(font.subset.items())


def _make(path: Path) -> Embedded:
    pdf = FPDF()
    pdf.add_font("fixed", "", str(path))  # the style is the file's: fpdf2 draws no fake ones
    font = pdf.fonts["fixed"]
    font.ttfont.recalcBBoxes = False  # as SlipPDF opens it: the glyphs as the typeface has them
    pick_fixed(font)
    glyphs = _glyphs(font)
    producer = OutputProducer(pdf)
    top = producer._add_fonts({}, {}, {})[font.i]
    objects = tuple(obj for obj in producer.pdf_objs if isinstance(obj, PDFObject))
    return Embedded(glyphs, objects, top)


def embedded(path: Path) -> Embedded:
    """The objects of the typeface file ``path``'s fixed subset (made on first use)."""
    found = _made.get(str(path))
    if found is None:
        with _lock:
            found = _made.get(str(path)) or _made.setdefault(str(path), _make(path))
    return found


def _relinked(value, copies: dict[int, PDFObject]):
    if isinstance(value, PDFObject) and id(value) in copies:
        return copies[id(value)]
    if isinstance(value, PDFArray):
        return PDFArray([_relinked(item, copies) for item in value])
    return value


class FixedSubsetOutput(OutputProducer):
    """fpdf2's output, each style whose subset is the fixed one taken from the process's copy."""

    def _add_fonts(self, image_objects_per_index, gfxstate_objs_per_name,
                   pattern_objs_per_name):
        fonts = self.fpdf.fonts
        ready: dict[str, Embedded] = {}
        for key, font in fonts.items():
            if (isinstance(font, TTFFont) and not font.color_font and not font.missing_glyphs
                    and (made := embedded(Path(font.ttffile)))
                    and _glyphs(font) == made.glyphs):
                ready[key] = made
        registered = list(fonts.items())
        for key in ready:  # fpdf2 writes the others
            del fonts[key]
        try:
            written = super()._add_fonts(image_objects_per_index, gfxstate_objs_per_name,
                                         pattern_objs_per_name)
        finally:
            fonts.clear()
            fonts.update(registered)
        for key, made in ready.items():
            font = fonts[key]
            copies = {id(obj): copy.copy(obj) for obj in made.objects}
            for obj in copies.values():
                for name, value in list(vars(obj).items()):
                    if isinstance(value, PDFObject | PDFArray):
                        setattr(obj, name, _relinked(value, copies))
                self._add_pdf_obj(obj, "fonts")
            written[font.i] = copies[id(made.top)]
            # as fpdf2 does after writing a font: its caches hold every subset map
            font.subset.pick.cache_clear()
            font.subset.get_glyph.cache_clear()
            font.close()
        return written
