"""The printed patient statement: the clinic and where to send payment, the statement date, the patient and
account number, each open visit (charges, what insurance paid and adjusted, what is still with insurance,
what the patient paid or had written off, what they owe), the amount due and its ageing, how to pay, the
clinic's message, the reminder wording of its level, and a tear-off stub to send back with a check.

Drawn from a ``StatementDocument`` (``statements`` gathers it); every user text goes through ``pdf_text.plain``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ptbill.services.patient_ledger import VisitSummary
from ptbill.services.pdf_tables import RULE, SHADE, ruled_table
from ptbill.services.pdf_text import plain, text_fonts

ZERO = Decimal("0.00")
# What each reminder level says above the visits (level 0, the first statement, says nothing more).
REMINDER_WORDS = {
    0: "",
    1: "30 days past due",
    2: "60 days past due",
    3: "90 days past due — final notice before collections",
}
AGEING = ("Current (0–30 days)", "31–60 days", "61–90 days", "91+ days")
ALERT = colors.HexColor("#9b1c1c")
WIDTH = 7.1 * inch  # the frame: the letter less its margins and the frame's padding


@dataclass(frozen=True, slots=True)
class StatementDocument:
    clinic_name: str
    clinic_address: tuple[str, ...]  # lines
    remit_to: tuple[str, ...]  # lines: the pay-to address if set, else the clinic's
    phone: str | None
    patient_name: str
    account: str  # the chart number
    statement_date: date
    visits: tuple[VisitSummary, ...]  # the visits on the statement, oldest first
    amount_due: Decimal
    ageing: tuple[Decimal, Decimal, Decimal, Decimal]
    credit: Decimal
    reminder_level: int
    message: str | None


def money(value: Decimal) -> str:
    return f"${value:,.2f}"


def ageing_of(visits: Sequence[VisitSummary]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """What the patient owes by how long it has been due: 0–30, 31–60, 61–90 and 91 days or more."""
    buckets = [ZERO, ZERO, ZERO, ZERO]
    for visit in visits:
        if visit.patient_owes <= ZERO:
            continue
        days = visit.days_due or 0
        index = 0 if days <= 30 else 1 if days <= 60 else 2 if days <= 90 else 3
        buckets[index] += visit.patient_owes
    return buckets[0], buckets[1], buckets[2], buckets[3]


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()["BodyText"]
    font, bold = text_fonts()

    def style(name: str, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, fontName=kw.pop("fontName", font), **kw)

    return {
        "clinic": style("clinic", fontName=bold, fontSize=15, leading=18),
        "title": style("title", fontName=bold, fontSize=17, leading=20, alignment=2),
        "body": style("body", fontSize=9.5, leading=12.5),
        "small": style("small", fontSize=8, leading=10, textColor=colors.HexColor("#4a5260")),
        "cell": style("cell", fontSize=8.5, leading=10.5),
        "num": style("num", fontSize=8.5, leading=10.5, alignment=2),
        "numb": style("numb", fontName=bold, fontSize=8.5, leading=10.5, alignment=2),
        "head": style("head", fontName=bold, fontSize=8, leading=10),
        "headnum": style("headnum", fontName=bold, fontSize=8, leading=10, alignment=2),
        "h2": style("h2", fontName=bold, fontSize=10.5, leading=13, spaceBefore=10, spaceAfter=4),
        "alert": style("alert", fontName=bold, fontSize=11, leading=14, textColor=ALERT),
        "due": style("due", fontName=bold, fontSize=14, leading=17, alignment=2),
        "right": style("right", fontSize=9.5, leading=12.5, alignment=2),
    }


def _lines(lines: Sequence[str]) -> str:
    return "<br/>".join(plain(line) for line in lines if line)


def _header(doc: StatementDocument, s: dict[str, ParagraphStyle]) -> Table:
    left = [Paragraph(plain(doc.clinic_name), s["clinic"]), Paragraph(_lines(doc.clinic_address), s["body"])]
    if doc.phone:
        left.append(Paragraph(plain(f"Phone {doc.phone}"), s["body"]))
    right = [
        Paragraph("Statement", s["title"]),
        Paragraph(plain(f"Statement date {doc.statement_date:%B %d, %Y}"), s["right"]),
        Paragraph(plain(f"Account {doc.account}"), s["right"]),
    ]
    table = Table([[left, right]], colWidths=[WIDTH * 0.6, WIDTH * 0.4], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, RULE),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _summary(doc: StatementDocument, s: dict[str, ParagraphStyle]) -> Table:
    """The patient on the left; the amount due, boxed, on the right."""
    who = [
        Paragraph("Statement for", s["small"]),
        Paragraph(f"<b>{plain(doc.patient_name)}</b>", s["body"]),
        Paragraph(plain(f"Account (chart) number {doc.account}"), s["body"]),
    ]
    due = [Paragraph("Amount due", s["small"]), Paragraph(money(doc.amount_due), s["due"])]
    table = Table([[who, "", due]], colWidths=[WIDTH * 0.55, WIDTH * 0.15, WIDTH * 0.3], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("BOX", (2, 0), (2, 0), 1, RULE),
                ("BACKGROUND", (2, 0), (2, 0), SHADE),
                ("TOPPADDING", (2, 0), (2, 0), 6),
                ("BOTTOMPADDING", (2, 0), (2, 0), 8),
            ]
        )
    )
    return table


def _visits(doc: StatementDocument, s: dict[str, ParagraphStyle]) -> Table:
    head = [
        "Date of service",
        "Charges",
        "Insurance paid",
        "Insurance adjusted",
        "Awaiting insurance",
        "Your payments",
        "Written off",
        "You owe",
    ]
    rows: list[list[Any]] = [[Paragraph(head[0], s["head"])] + [Paragraph(h, s["headnum"]) for h in head[1:]]]
    for v in doc.visits:
        figures = (
            v.charge,
            v.insurance_paid,
            v.insurance_adjusted,
            v.insurance_open,
            v.patient_paid,
            v.patient_written_off,
        )
        rows.append(
            [Paragraph(f"{v.service_date:%m/%d/%Y}", s["cell"])]
            + [Paragraph(money(f), s["num"]) for f in figures]
            + [Paragraph(money(v.patient_owes), s["numb"])]
        )
    total = [Paragraph("<b>Total</b>", s["cell"])] + [Paragraph("", s["num"])] * 6
    rows.append([*total, Paragraph(money(doc.amount_due), s["numb"])])
    widths = [0.975] + [0.875] * 7
    extra = [("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), SHADE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    return ruled_table(rows, [w * inch for w in widths], extra=extra)


def _ageing(doc: StatementDocument, s: dict[str, ParagraphStyle]) -> Table:
    rows = [
        [Paragraph(h, s["headnum"]) for h in (*AGEING, "Total due")],
        [Paragraph(money(v), s["num"]) for v in doc.ageing] + [Paragraph(money(doc.amount_due), s["numb"])],
    ]
    return ruled_table(rows, [WIDTH / 5] * 5)


def _how_to_pay(doc: StatementDocument, s: dict[str, ParagraphStyle]) -> list[Any]:
    remit = ", ".join(line for line in doc.remit_to if line)
    call = f" at {doc.phone}" if doc.phone else ""
    text = [
        f"By check: make it payable to {doc.clinic_name} and mail it with the stub below to {remit}. "
        f"Write your account number, {doc.account}, on the check.",
        f"By card: we do not take card numbers by mail; call the office{call} to pay by card.",
        f"Questions about this statement? Call the office{call}.",
    ]
    return [Paragraph(plain(line), s["body"]) for line in text]


def _stub(doc: StatementDocument, s: dict[str, ParagraphStyle]) -> list[Any]:
    cut = Table([[Paragraph("✂  Detach and return this part with your payment", s["small"])]], colWidths=[WIDTH])
    cut.setStyle(
        TableStyle(
            [("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.grey, None, (3, 3)), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
        )
    )
    remit = [
        Paragraph("Make checks payable to and mail to", s["small"]),
        Paragraph(f"<b>{plain(doc.clinic_name)}</b>", s["body"]),
        Paragraph(_lines(doc.remit_to), s["body"]),
    ]
    facts = [
        [Paragraph("Patient", s["cell"]), Paragraph(plain(doc.patient_name), s["cell"])],
        [Paragraph("Account", s["cell"]), Paragraph(plain(doc.account), s["cell"])],
        [Paragraph("Statement date", s["cell"]), Paragraph(f"{doc.statement_date:%m/%d/%Y}", s["cell"])],
        [Paragraph("Amount due", s["cell"]), Paragraph(money(doc.amount_due), s["numb"])],
        [Paragraph("Amount enclosed", s["cell"]), Paragraph("$ ______________", s["num"])],
    ]
    grid = ruled_table(facts, [1.2 * inch, 2.0 * inch], shade="labels")
    table = Table([[remit, grid]], colWidths=[WIDTH - 3.3 * inch, 3.3 * inch], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, -1), 0)]))
    return [Spacer(1, 16), cut, Spacer(1, 4), table]


def draw_statement(doc: StatementDocument) -> bytes:
    """The statement as a letter PDF (one page for most patients; the stub follows the last visit)."""
    s = _styles()
    story: list[Any] = [_header(doc, s), Spacer(1, 10)]
    words = REMINDER_WORDS.get(doc.reminder_level, "")
    if words:
        story += [Paragraph(plain(words.capitalize()), s["alert"]), Spacer(1, 4)]
    story += [_summary(doc, s), Paragraph("Visits with a balance", s["h2"]), _visits(doc, s)]
    if doc.credit > ZERO:
        story.append(Paragraph(plain(f"You also have a credit of {money(doc.credit)} on account."), s["small"]))
    story += [Paragraph("How long it has been owed", s["h2"]), _ageing(doc, s)]
    story += [Paragraph("How to pay", s["h2"]), *_how_to_pay(doc, s)]
    if doc.message:
        story += [Spacer(1, 6), Paragraph(plain(doc.message), s["body"])]
    story.append(KeepTogether(_stub(doc, s)))
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        title=f"Statement {doc.statement_date:%Y-%m-%d}",
        leftMargin=0.6 * inch,
        rightMargin=0.6 * inch,
        topMargin=0.6 * inch,
        bottomMargin=0.6 * inch,
    ).build(story)
    return buffer.getvalue()
