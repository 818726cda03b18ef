"""The red-ink 1500 claim form (02/12) drawn with ReportLab from the layout table, once per document.

Source: every position comes from layout.py (8.5 x 11 in, 10 cpi x 6 lpi grid, six service lines with
shaded supplemental halves); captions are ptbill's own short wording of each item's title.
"""

from __future__ import annotations

import re

from reportlab.lib.colors import Color
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from ptbill.claims.cms1500.layout import (
    FRAME_LEFT,
    FRAME_RIGHT,
    LAYOUT,
    LINE_HEIGHT,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    SERVICE_LINES_PER_FORM,
    Align,
    Box,
    Label,
    Rect,
    column_x,
    line_top,
    service_line,
)

FORM_NAME = "ptbill-cms1500-0212"
FORM_RED = Color(0.84, 0.12, 0.16)  # close to the OCR drop-out red the printed form uses
SHADE = Color(0.99, 0.90, 0.90)
CAPTION_FONT = "Helvetica"
CAPTION_BOLD = "Helvetica-Bold"
RULE = 0.55
HEAVY_RULE = 1.2
CAPTION_LEADING = 1.12  # caption line spacing as a multiple of its size
_ITEM_PREFIX = re.compile(r"^([0-9]{1,2}[a-d]?\.|[a-d]\.)(\s+)")


def _y(top: float) -> float:
    """PDF y (origin at the bottom) of a distance from the top of the sheet."""
    return PAGE_HEIGHT - top


def _label(c: Canvas, label: Label) -> None:
    font = CAPTION_BOLD if label.bold else CAPTION_FONT
    x = column_x(label.col)
    baseline = _y(line_top(label.line + 1) - label.rise)
    c.setFont(font, label.size)
    if label.align is Align.RIGHT:
        c.drawRightString(x, baseline, label.text)
    elif label.align is Align.CENTER:
        c.drawCentredString(x, baseline, label.text)
    else:
        c.drawString(x, baseline, label.text)


def _caption(c: Canvas, box: Box) -> None:
    if not box.caption:
        return
    rect = box.rect
    room = rect.width - 3.0
    lines = box.caption.split("\n")
    size = box.caption_size
    for text in lines:
        width = stringWidth(text, CAPTION_FONT, size) + 2.0
        if width > room:
            size = min(size, box.caption_size * room / width)
    for index, text in enumerate(lines):
        baseline = _y(rect.top + size + 0.6 + index * size * CAPTION_LEADING)
        x = rect.x0 + 1.8
        rest = text
        match = _ITEM_PREFIX.match(text)
        if match:  # the item number in bold, as on the printed form
            prefix = match.group(1)
            c.setFont(CAPTION_BOLD, size)
            c.drawString(x, baseline, prefix)
            x += stringWidth(prefix, CAPTION_BOLD, size) + stringWidth(" ", CAPTION_FONT, size) * len(match.group(2))
            rest = text[match.end() :]
        c.setFont(CAPTION_FONT, size)
        c.drawString(x, baseline, rest)


def _shade(c: Canvas, box: Box) -> None:
    rect = box.rect
    c.setFillColor(SHADE)
    for line in box.shaded_lines:
        c.rect(rect.x0, _y(line_top(line + 1)), rect.width, LINE_HEIGHT, stroke=0, fill=1)
    c.setFillColor(FORM_RED)


def _rules(c: Canvas, box: Box) -> None:
    rect = box.rect
    if box.ruled:
        c.setLineWidth(RULE)
        c.rect(rect.x0, _y(rect.bottom), rect.width, rect.height, stroke=1, fill=0)
    for col in box.full_dividers:
        x = column_x(col)
        c.line(x, _y(rect.top), x, _y(rect.bottom))
    for col in box.lower_dividers:
        x = column_x(col)
        c.line(x, _y(rect.bottom - LINE_HEIGHT), x, _y(rect.bottom))
    if box.dividers:
        c.setDash(0.8, 0.8)
        c.setLineWidth(0.4)
        for col in box.dividers:
            x = column_x(col)
            c.line(x, _y(rect.bottom), x, _y(rect.bottom - 0.55 * LINE_HEIGHT))
        c.setDash()
        c.setLineWidth(RULE)


def _check_boxes(c: Canvas, box: Box) -> None:
    c.setLineWidth(0.5)
    for f in box.fields:
        if f.check:
            r = f.rect
            # Centred on the data's X, with room for the wider glyphs viewers substitute for Courier.
            side = 8.4
            c.rect(r.x0 + (r.width - side) / 2, _y(r.bottom - 1.6), side, side, stroke=1, fill=0)
    c.setLineWidth(RULE)


def _diagnosis_underlines(c: Canvas) -> None:
    c.setLineWidth(0.4)
    for letter in "ABCDEFGHIJKL":
        r = LAYOUT.field(f"21.{letter}").rect
        c.line(r.x0 - 0.5, _y(r.bottom - 1.2), r.x1 + 0.5, _y(r.bottom - 1.2))
    ind = LAYOUT.field("21.ind").rect
    c.setLineWidth(0.5)
    c.rect(ind.x0 - 0.8, _y(ind.bottom - 0.5), ind.width + 1.6, ind.height - 1.5, stroke=1, fill=0)
    c.setLineWidth(RULE)


def _side_bar(c: Canvas, text: str, top: float, bottom: float) -> None:
    """A vertical arrow with its section name, outside the form's right edge."""
    x = FRAME_RIGHT + 9.0
    c.setLineWidth(0.8)
    middle = (top + bottom) / 2
    c.setFont(CAPTION_BOLD, 6.5)
    half = stringWidth(text, CAPTION_BOLD, 6.5) / 2 + 4
    c.line(x, _y(top + 5), x, _y(middle - half))
    c.line(x, _y(middle + half), x, _y(bottom - 5))
    for tip, direction in ((top + 1, 1), (bottom - 1, -1)):
        path = c.beginPath()
        path.moveTo(x, _y(tip))
        path.lineTo(x - 2.6, _y(tip + direction * 6))
        path.lineTo(x + 2.6, _y(tip + direction * 6))
        path.close()
        c.drawPath(path, stroke=0, fill=1)
    c.saveState()
    c.translate(x + 2.3, _y(middle))
    c.rotate(90)
    c.drawCentredString(0, 0, text)
    c.restoreState()
    c.setLineWidth(RULE)


def _pica(c: Canvas, left: bool) -> None:
    top = line_top(6) + 3
    side = 7.0
    if left:
        x = FRAME_LEFT
        c.rect(x, _y(top + side), side, side, stroke=1, fill=0)
        c.setFont(CAPTION_FONT, 6)
        c.drawString(x + side + 3, _y(top + side - 0.8), "PICA")
    else:
        x = FRAME_RIGHT - side
        c.rect(x, _y(top + side), side, side, stroke=1, fill=0)
        c.setFont(CAPTION_FONT, 6)
        c.drawRightString(x - 3, _y(top + side - 0.8), "PICA")


def _heading(c: Canvas) -> None:
    c.setFont(CAPTION_BOLD, 20)
    c.drawString(FRAME_LEFT, _y(line_top(4) - 2), "1500")
    c.setFont(CAPTION_BOLD, 10.5)
    c.drawString(FRAME_LEFT, _y(line_top(5) - 1.5), "HEALTH INSURANCE CLAIM FORM")
    c.setFont(CAPTION_FONT, 5.5)
    c.drawString(FRAME_LEFT, _y(line_top(6) - 3), "LAYOUT OF THE NUCC 1500 CLAIM FORM, VERSION 02/12")
    _pica(c, left=True)
    _pica(c, left=False)


def _service_line_numbers(c: Canvas) -> None:
    c.setFont(CAPTION_BOLD, 8)
    for number in range(1, SERVICE_LINES_PER_FORM + 1):
        _, plain = service_line(number)
        c.drawCentredString(FRAME_LEFT / 2 + 0.5, _y(line_top(plain) + 3), str(number))


def _footer(c: Canvas) -> None:
    baseline = _y(line_top(63) - 3.5)
    c.setFont(CAPTION_FONT, 6)
    c.drawString(FRAME_LEFT, baseline, "Completion instructions: NUCC 1500 Reference Instruction Manual, www.nucc.org")
    c.setFont(CAPTION_BOLD, 7)
    c.drawCentredString(column_x(49.5), baseline, "PLEASE PRINT OR TYPE")
    c.setFont(CAPTION_FONT, 6)
    c.drawRightString(FRAME_RIGHT, baseline, "FORM 1500 (02-12) LAYOUT, DRAWN BY PTBILL")


def _heavy_rules(c: Canvas) -> None:
    """The thicker rules around the sections and the service-line grid."""
    left, right = FRAME_LEFT, FRAME_RIGHT
    c.setLineWidth(HEAVY_RULE)
    for line in (7, 31, 41, 43, 55, 62):
        c.line(left, _y(line_top(line)), right, _y(line_top(line)))
    body = Rect(left, line_top(7), right, line_top(62))
    c.rect(body.x0, _y(body.bottom), body.width, body.height, stroke=1, fill=0)
    c.setLineWidth(RULE)


def draw_form(c: Canvas) -> None:
    """Draw the whole red form at the page's origin (call inside ``beginForm``/``endForm`` to reuse it)."""
    c.saveState()
    c.setStrokeColor(FORM_RED)
    c.setFillColor(FORM_RED)
    c.setLineWidth(RULE)
    for box in LAYOUT.boxes:
        _shade(c, box)
    for box in LAYOUT.boxes:
        _rules(c, box)
        _check_boxes(c, box)
        _caption(c, box)
        for label in box.labels:
            _label(c, label)
    _diagnosis_underlines(c)
    _heavy_rules(c)
    _heading(c)
    _service_line_numbers(c)
    _side_bar(c, "CARRIER", line_top(1) + 6, line_top(7))
    _side_bar(c, "PATIENT AND INSURED INFORMATION", line_top(7), line_top(31))
    _side_bar(c, "PHYSICIAN OR SUPPLIER INFORMATION", line_top(31), line_top(62))
    _footer(c)
    c.restoreState()


def define_form(c: Canvas) -> str:
    """Record the red form once as a reusable PDF form XObject; returns the name ``doForm`` takes."""
    c.beginForm(FORM_NAME, lowerx=0, lowery=0, upperx=PAGE_WIDTH, uppery=PAGE_HEIGHT)
    draw_form(c)
    c.endForm()
    return FORM_NAME
