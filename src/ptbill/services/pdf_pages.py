"""The pages of ptbill's clinical documents (a note, an episode of care, the appeal packet): a running header
naming the patient on every page, "Page X of Y" at the foot, and a DRAFT mark across the pages of a note that is
not signed, so a page separated from the stack still says whose it is, where it belongs and whether it counts.

The story marks where each note begins with ``PageMark`` (a flowable of no size); the canvas keeps each page until
the document ends, then draws the header and footer once the number of pages is known.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

from ptbill.services.pdf_text import text_fonts

MARGIN = 0.75 * inch
WIDTH = LETTER[0] - 2 * MARGIN  # what a table may span
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#5f6b7a")
ALERT = colors.HexColor("#a4161a")
RULE = colors.HexColor("#c8ccd2")


@dataclass(frozen=True, slots=True)
class RunningHead:
    """What every page's header and footer print: the patient (name, date of birth, chart) and the clinic."""

    patient: str
    clinic: str


@dataclass(frozen=True, slots=True)
class _Mark:
    label: str
    draft: bool


class PageMark(Flowable):  # type: ignore[misc]  # reportlab ships no types
    """From this point on the pages belong to ``label`` (a note's type and date), marked DRAFT when ``draft``;
    the page it lands on is written into ``found_on[key]`` (a table of contents reads it)."""

    def __init__(
        self,
        label: str,
        *,
        draft: bool = False,
        found_on: dict[int, int] | None = None,
        key: int = 0,
        keep: bool = False,
    ) -> None:
        super().__init__()
        self.mark = None if keep else _Mark(label, draft)  # keep: only note the page, the pages stay as marked
        self.found_on = found_on
        self.key = key

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        if self.mark is not None:
            self.canv.ptbill_mark = self.mark
        if self.found_on is not None:
            self.found_on[self.key] = self.canv.getPageNumber()


def _canvas_for(head: RunningHead) -> type[Canvas]:
    font, bold = text_fonts()

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no types
        """Keeps every page until the end, then draws each page's header and footer with the page count."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.ptbill_pages: list[dict[str, Any]] = []
            self.ptbill_mark: _Mark | None = None

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self.ptbill_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self.ptbill_pages)
            for number, state in enumerate(self.ptbill_pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            width, height = LETTER
            mark: _Mark | None = self.ptbill_mark
            self.saveState()
            top = height - 0.48 * inch
            self.setFillColor(INK)
            self.setFont(bold, 8)
            patient = _fit(self, head.patient, bold, 8, WIDTH * 0.6)
            self.drawString(MARGIN, top, patient)
            if mark is not None:
                room = WIDTH - self.stringWidth(patient, bold, 8) - 16
                face = bold if mark.draft else font
                self.setFont(face, 8)
                self.setFillColor(ALERT if mark.draft else MUTED)
                # A draft's mark survives a narrow header whole; the note's label gives way first.
                labels = [f"DRAFT, NOT SIGNED · {mark.label}", "DRAFT, NOT SIGNED"] if mark.draft else [mark.label]
                label = next((text for text in labels if self.stringWidth(text, face, 8) <= room), None)
                self.drawRightString(width - MARGIN, top, label or _fit(self, labels[-1], face, 8, room))
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, top - 5, width - MARGIN, top - 5)
            bottom = 0.45 * inch
            self.line(MARGIN, bottom + 11, width - MARGIN, bottom + 11)
            self.setFont(font, 8)
            self.setFillColor(MUTED)
            self.drawString(MARGIN, bottom, _fit(self, head.clinic, font, 8, WIDTH * 0.7))
            self.drawRightString(width - MARGIN, bottom, f"Page {number} of {total}")
            if mark is not None and mark.draft:
                self._draft_mark(width, height, bold)
            self.restoreState()

        def _draft_mark(self, width: float, height: float, bold: str) -> None:
            self.saveState()
            self.setFillColor(ALERT)
            self.setFillAlpha(0.09)
            self.translate(width / 2, height / 2)
            self.rotate(40)
            self.setFont(bold, 92)
            self.drawCentredString(0, 10, "DRAFT")
            self.setFont(bold, 30)
            self.drawCentredString(0, -40, "NOT SIGNED")
            self.restoreState()

    return NumberedCanvas


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to ``width`` (a header line never runs into the other)."""
    if canvas.stringWidth(text, font, size) <= width:
        return text
    while text and canvas.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def build_document(story: Sequence[Any], head: RunningHead, *, title: str, author: str) -> bytes:
    """``story`` on US Letter pages with the running header and "Page X of Y", as PDF bytes."""
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=0.8 * inch,
        bottomMargin=0.8 * inch,
        title=title,
        author=author,
        creator="ptbill",
    )
    document.build(list(story), canvasmaker=_canvas_for(head))
    return out.getvalue()
