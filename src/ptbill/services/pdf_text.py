"""User text in ReportLab paragraphs: a Paragraph reads its text as markup, so every value goes through here.

Without escaping, "L>R" or "<br>" in a note stops the PDF being built, "<WNL>" or "<L5>" vanish as
unknown tags, and ``<a href>`` or ``<img src>`` put links or server files into the packet. The appeal
packet and every later PDF built from paragraphs (statements, ABNs) pass each value through ``plain``,
and print in ``text_fonts``: the standard PDF fonts know Latin-1 only, and would print Nguyễn as "Nguynn".
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

TEXT_FONT = "PtbillSans"
# DejaVu Sans (free licence, Latin, Greek, Cyrillic and Vietnamese letters), as matplotlib ships it.
_FONT_FILES = {
    (0, 0): ("PtbillSans", "DejaVuSans.ttf"),
    (1, 0): ("PtbillSans-Bold", "DejaVuSans-Bold.ttf"),
    (0, 1): ("PtbillSans-Oblique", "DejaVuSans-Oblique.ttf"),
    (1, 1): ("PtbillSans-BoldOblique", "DejaVuSans-BoldOblique.ttf"),
}


def plain(value: object) -> str:
    """``value`` as paragraph text that prints exactly as written: ``& < >`` escaped, line breaks kept."""
    lines = str(value).splitlines() if value is not None else []
    return "<br/>".join(escape(line) for line in lines)


@functools.cache
def text_fonts() -> tuple[str, str]:
    """The embedded font for paragraphs and its bold (``<b>`` and ``<i>`` map to the family's bold and oblique)."""
    spec = importlib.util.find_spec("matplotlib")
    locations = spec.submodule_search_locations if spec else None
    if not locations:  # pragma: no cover - matplotlib is a dependency
        raise RuntimeError("matplotlib, which ships the DejaVu fonts, is not installed")
    directory = Path(locations[0]) / "mpl-data" / "fonts" / "ttf"
    for (bold, italic), (name, file_name) in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(directory / file_name)))
        addMapping(TEXT_FONT, bold, italic, name)
    return TEXT_FONT, _FONT_FILES[(1, 0)][0]
