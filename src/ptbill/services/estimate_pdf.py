"""The printed cost estimate: clinic header, patient, coverage, a table per code, the arithmetic of the
patient's share, totals, and a plain disclaimer. A self-pay (uninsured) patient's estimate is the good-faith
estimate of the No Surprises Act and carries the elements 45 CFR 149.610(c) requires: patient name and date of
birth; the primary service in plain words and its scheduled date; the itemized services with their diagnosis
codes, service codes and expected charges; the provider's name, NPI, TIN and location; the services to be
scheduled separately; and the four disclaimers (additional services, only an estimate, the right to dispute
resolution when billed charges are $400 or more above the estimate (45 CFR 149.620), not a contract).

Every value a user typed or a catalog holds goes through ``pdf_text.plain``.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table

from ptbill.services.pdf_tables import ruled_table
from ptbill.services.pdf_text import plain, text_fonts
from ptbill.storage.tables import ClinicRow, EstimateRow, PatientRow

GFE_SOURCE = "45 CFR 149.610 (good faith estimates for uninsured or self-pay individuals)"
DISPUTE_INFO = "www.cms.gov/nosurprises"


def _money(value: Decimal | str | int) -> str:
    return f"${Decimal(value):,.2f}"


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    font, bold = text_fonts()
    return {
        "title": ParagraphStyle("title", parent=base["Heading1"], fontName=bold, fontSize=15, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=11.5, spaceBefore=10),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontName=font, fontSize=9.5, leading=12.5),
        "cell": ParagraphStyle("cell", parent=base["BodyText"], fontName=font, fontSize=8.5, leading=10.5),
        "num": ParagraphStyle("num", parent=base["BodyText"], fontName=font, fontSize=8.5, leading=10.5, alignment=2),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontName=font, fontSize=7.5, textColor=colors.grey),
        "total": ParagraphStyle("total", parent=base["BodyText"], fontName=bold, fontSize=12, leading=15),
    }


def _grid(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    return ruled_table(rows, [w * inch for w in widths], shade="header" if header else "labels")


def _facts(rows: list[tuple[str, str]], s: dict[str, ParagraphStyle]) -> Table:
    return _grid([[Paragraph(plain(k), s["cell"]), Paragraph(plain(v), s["cell"])] for k, v in rows], [1.8, 5.2], False)


def _lines_table(doc: dict[str, Any], visits: int, self_pay: bool, s: dict[str, ParagraphStyle]) -> Table:
    head = ["Code", "Service", "Units a visit", "Visits", "Per visit", "Total", "How the amount was found"]
    rows: list[list[Any]] = [[Paragraph(h, s["cell"]) for h in head]]
    for line in doc["lines"]:
        code = " ".join([line["code"], *line["modifiers"]])
        service = line["label"] + ("" if line["covered"] or self_pay else " (not covered: self-pay price)")
        rows.append(
            [
                Paragraph(plain(code), s["cell"]),
                Paragraph(plain(service), s["cell"]),
                Paragraph(str(line["units"]), s["num"]),
                Paragraph(str(visits), s["num"]),
                Paragraph(_money(line["per_visit"]), s["num"]),
                Paragraph(_money(line["total"]), s["num"]),
                Paragraph(plain(line["basis"][:400]), s["small"]),
            ]
        )
    return _grid(rows, [0.7, 1.45, 0.5, 0.55, 0.7, 0.75, 2.35])


def _share_table(doc: dict[str, Any], s: dict[str, ParagraphStyle]) -> Table:
    head = ["Visits", "Allowed a visit", "Deductible", "Coinsurance", "Copay", "You pay a visit", "You pay"]
    rows: list[list[Any]] = [[Paragraph(h, s["cell"]) for h in head]]
    for run in doc["runs"]:
        count = run["last"] - run["first"] + 1
        which = str(run["first"]) if count == 1 else f"{run['first']}–{run['last']}"
        rows.append(
            [Paragraph(which, s["cell"])]
            + [
                Paragraph(_money(run[k]), s["num"])
                for k in ("allowed", "deductible", "coinsurance", "copay", "patient")
            ]
            + [Paragraph(_money(Decimal(run["patient"]) * count), s["num"])]
        )
    return _grid(rows, [0.8, 1.0, 0.95, 0.95, 0.8, 1.1, 1.1])


def _disclaimers(self_pay: bool, doc: dict[str, Any]) -> list[str]:
    if not self_pay:
        return [
            "This is an estimate, not a bill and not a promise of payment by your plan. It uses the cost sharing "
            f"on file (checked on {doc['cost_sharing']['as_of'] or 'no date'}) and the payer's expected allowed "
            "amounts. What you owe is decided by your plan when it processes each claim: other visits that reach "
            "your deductible first, a plan that applies copays differently, an out-of-pocket maximum, or a "
            "service found not covered will change it.",
            f"How your share was worked out: {doc['order']}.",
        ]
    return [
        "There may be additional items or services we recommend as part of your care that must be scheduled or "
        "requested separately and are not included in this Good Faith Estimate.",
        "This Good Faith Estimate shows the costs of items and services that are reasonably expected for your "
        "health care needs for an item or service. The estimate is based on information known at the time it "
        "was created. It does not include unknown or unexpected costs that may arise during treatment. You "
        "could be charged more if complications or special circumstances occur. Actual items, services or "
        "charges may differ from this estimate.",
        "You have the right to initiate the patient-provider dispute resolution process if you are billed "
        "$400 or more above this Good Faith Estimate for any provider or facility. To learn more and get a "
        f"form, visit {DISPUTE_INFO} or call the number listed there. Keep a copy of this estimate.",
        "This Good Faith Estimate is not a contract and does not require you to obtain the items or services "
        "from any of the providers or facilities identified in it.",
    ]


def draw_estimate(
    clinic: ClinicRow, patient: PatientRow, row: EstimateRow, payer_name: str | None, made: datetime
) -> bytes:
    """The estimate as a one- or two-page letter PDF."""
    s = _styles()
    doc: dict[str, Any] = row.document
    title = "Good Faith Estimate" if row.self_pay else "Estimate of your cost before treatment"
    where = f"{clinic.address_line1}, {clinic.city}, {clinic.state} {clinic.zip}"
    story: list[Any] = [
        Paragraph(plain(clinic.name), s["title"]),
        Paragraph(plain(f"{where} · NPI {clinic.npi} · TIN {clinic.tax_id}"), s["small"]),
        Spacer(1, 8),
        Paragraph(plain(title), s["h2"]),
        Paragraph(plain(f"Prepared {made:%B %d, %Y} · estimate no. {row.id}"), s["small"]),
        Spacer(1, 4),
    ]
    visits = row.visits
    first = f"{row.first_visit:%m/%d/%Y}"
    facts = [
        ("Patient", f"{patient.first_name} {patient.last_name}, born {patient.birth_date:%m/%d/%Y}"),
        ("Planned care", f"physical therapy, {visits} visit{'s' if visits != 1 else ''} from {first}"),
        ("Diagnoses (ICD-10-CM)", ", ".join(doc["diagnoses"]) or "none given"),
    ]
    if row.self_pay:
        facts.append(("Provider", f"{clinic.name}, NPI {clinic.npi}, TIN {clinic.tax_id}, {where}"))
        facts.append(("Scheduled separately", "none expected"))
    else:
        sharing = doc["cost_sharing"]
        percent = sharing["coinsurance_percent"]
        facts += [
            ("Insurance", f"{payer_name}, member id {doc['member_id']}"),
            (
                "Your cost sharing",
                f"deductible remaining {_money(sharing['deductible_remaining'] or 0)}; coinsurance "
                f"{Decimal(percent or 0):f} %; copay {_money(sharing['copay'] or 0)} a visit"
                + (f" (as of {sharing['as_of']})" if sharing["as_of"] else " (not yet checked with the plan)")
                + (f"; from {sharing['source']}" if sharing.get("eligibility_response_id") else ""),
            ),
        ]
    story += [_facts(facts, s), Paragraph("Services", s["h2"]), _lines_table(doc, visits, row.self_pay, s)]
    if not row.self_pay and doc["runs"]:
        story += [
            Paragraph("Your share of the covered services", s["h2"]),
            Paragraph(plain(f"Order applied: {doc['order']}."), s["small"]),
            _share_table(doc, s),
        ]
    totals = [("Expected charges" if row.self_pay else "Expected allowed, covered services", _money(row.allowed_total))]
    if not row.self_pay:
        totals += [
            ("Your share of covered services", _money(doc["covered_patient_share"])),
            ("Services not covered (self-pay)", _money(doc["not_covered_total"])),
        ]
    story += [Spacer(1, 8), _facts(totals, s), Spacer(1, 6)]
    story.append(Paragraph(plain(f"Your estimated cost: {_money(row.patient_total)}"), s["total"]))
    notes = [Paragraph(plain(text), s["body"]) for text in _disclaimers(row.self_pay, doc)]
    if row.self_pay:
        notes.append(Paragraph(plain(f"Source: {GFE_SOURCE}; 45 CFR 149.620."), s["small"]))
    story.append(KeepTogether([Paragraph("Please read", s["h2"]), *notes]))
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=LETTER, title=title, leftMargin=0.6 * inch, rightMargin=0.6 * inch, topMargin=0.6 * inch
    ).build(story)
    return buffer.getvalue()
