"""A claim printed on the 1500 claim form (02/12): which text goes in which field, page by page.

Source: NUCC 1500 Reference Instruction Manual item by item, and CMS-1500 ↔ 837P mapping
(Claims Processing Manual ch.26). A form holds six service lines; longer claims continue on further forms.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

from ptbill.claims.claim_text import claim_text_problems
from ptbill.claims.cms1500.background import define_form
from ptbill.claims.cms1500.layout import (
    COLUMN_WIDTH,
    LAYOUT,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    SERVICE_LINES_PER_FORM,
    Align,
    Field,
)
from ptbill.domain.claim import (
    MAX_DIAGNOSIS_POINTERS,
    MAX_MODIFIERS,
    Claim,
    ClaimFrequency,
    ClaimParty,
    Person,
    PostalAddress,
    ServiceLine,
)
from ptbill.domain.errors import PtbillError
from ptbill.domain.vocabulary import ClaimFilingIndicator
from ptbill.x12.charset import describe, outside_x12, transliterate

DATA_FONT = "Courier"
DATA_SIZE = 10.0  # NUCC recommends 10-point type
# Courier advances 0.6 em; spacing each character by the rest of a print column keeps 10 cpi.
_CHAR_ADVANCE = 0.6 * DATA_SIZE
_CHAR_SPACE = COLUMN_WIDTH - _CHAR_ADVANCE
_BASELINE_RISE = 2.5  # points from the bottom of a print line up to the data's baseline
MAX_DIAGNOSES = 12
POINTER_LETTERS = "ABCDEFGHIJKL"
CHECKED = "X"
ICD10_INDICATOR = "0"
REFERRING_QUALIFIER = "DN"  # item 17 qualifier for a referring provider (DK ordering, DQ supervising)
RELATIONSHIP_FIELDS = {"self": "6.self", "spouse": "6.spouse", "child": "6.child"}


class Cms1500Error(PtbillError):
    """The claim cannot be put on the paper form; ``problems`` has one line each."""

    def __init__(self, claim_id: str, problems: list[str]) -> None:
        self.claim_id = claim_id
        self.problems = problems
        super().__init__(f"claim {claim_id}: " + "; ".join(problems))


class MultiPageTotals(StrEnum):
    """What item 28 shows when a claim needs more than one form.

    ``EACH_FORM`` (default): every form totals only its own 24F lines, since each form is read as a
    claim of its own (NUCC item 28: the total of the charges in 24F). ``LAST_FORM``: "CONTINUED" on
    every form but the last, which carries the whole claim's total (what some payers ask, e.g. HMSA
    and Texas Medicaid's multipage rules).
    """

    EACH_FORM = "each_form"
    LAST_FORM = "last_form"


@dataclass(frozen=True, slots=True)
class FormPage:
    """One printed form: a claim's header with up to six of its service lines."""

    claim: Claim
    lines: tuple[ServiceLine, ...]
    number: int
    count: int

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal("0.00"))


def paginate(claim: Claim) -> list[FormPage]:
    """The forms a claim needs: lines in order, six per form."""
    chunks = [claim.lines[i : i + SERVICE_LINES_PER_FORM] for i in range(0, len(claim.lines), SERVICE_LINES_PER_FORM)]
    chunks = chunks or [()]
    return [FormPage(claim, chunk, n, len(chunks)) for n, chunk in enumerate(chunks, start=1)]


def check_printable(claim: Claim) -> None:
    """Refuse what the form has no room for, instead of printing a claim that says less than the data."""
    problems: list[str] = []
    if len(claim.diagnoses) > MAX_DIAGNOSES:
        problems.append(f"{len(claim.diagnoses)} diagnoses; item 21 holds {MAX_DIAGNOSES}")
    for line in claim.lines:
        where = f"line {line.line_number} ({line.code})"
        if len(line.modifiers) > MAX_MODIFIERS:
            problems.append(f"{where}: {len(line.modifiers)} modifiers; 24D holds {MAX_MODIFIERS}")
        if len(line.diagnosis_pointers) > MAX_DIAGNOSIS_POINTERS:
            problems.append(
                f"{where}: {len(line.diagnosis_pointers)} diagnosis pointers; 24E holds {MAX_DIAGNOSIS_POINTERS}"
            )
        bad = [p for p in line.diagnosis_pointers if not 1 <= p <= min(len(claim.diagnoses), MAX_DIAGNOSES)]
        if bad:
            problems.append(f"{where}: pointer(s) {bad} do not point at one of the {len(claim.diagnoses)} diagnoses")
        if line.charge < 0 or line.charge >= Decimal("100000"):
            problems.append(f"{where}: charge {line.charge} does not fit 24F (0.00 to 99999.99)")
        if not 0 < line.units < 1000:
            problems.append(f"{where}: {line.units} units do not fit 24G (1 to 999)")
    if claim.total_charge >= Decimal("1000000"):
        problems.append(f"total charge {claim.total_charge} does not fit item 28 (up to 999999.99)")
    if claim.frequency is not ClaimFrequency.ORIGINAL and not claim.original_claim_number:
        problems.append("a replacement or void needs the payer's original claim number for item 22")
    problems.extend(claim_text_problems(claim))
    if problems:
        raise Cms1500Error(claim.claim_id, problems)


def _upper(text: str | None) -> str:
    """Upper case in the X12 character set (the same transliteration as the 837P: Nguyễn → NGUYEN), which is
    also what Courier, a standard PDF font, can draw."""
    return " ".join(transliterate(text or "").upper().split())


def _person_name(person: Person) -> str:
    """Items 2 and 4: Last, First (no middle initial is recorded)."""
    return _upper(f"{person.last_name}, {person.first_name}")


def _party_name(party: ClaimParty) -> str:
    """An organisation's name, or a person's name as First Last (items 17, 31, 32, 33)."""
    if party.first_name:
        return _upper(f"{party.first_name} {party.last_name_or_organization}")
    return _upper(party.last_name_or_organization)


def _mm_dd_yy(day: date) -> str:
    return day.strftime("%m %d %y")


def _mm_dd_yyyy(day: date) -> str:
    return day.strftime("%m %d %Y")


def _icd10(code: str) -> str:
    """ICD-10-CM with its dot, as item 21 prints it: M5116 → M51.16."""
    code = code.replace(".", "").upper()
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def _money(amount: Decimal) -> tuple[str, str]:
    """Dollars and cents in their own areas, no $ sign, comma or decimal point."""
    cents = int((amount * 100).quantize(Decimal("1")))
    return str(cents // 100), f"{cents % 100:02d}"


def _zip(code: str) -> str:
    """A ZIP code as recorded: five digits, or ZIP+4 with its hyphen."""
    return code.strip()


def _address_fields(prefix: str, address: PostalAddress | None) -> dict[str, str]:
    if address is None:
        return {}
    street = address.line1 if not address.line2 else f"{address.line1} {address.line2}"
    return {
        f"{prefix}.street": _upper(street),
        f"{prefix}.city": _upper(address.city),
        f"{prefix}.state": _upper(address.state),
        f"{prefix}.zip": _zip(address.zip),
    }


def _city_line(address: PostalAddress) -> str:
    return _upper(f"{address.city} {address.state} {_zip(address.zip)}")


def _provider_block(prefix: str, party: ClaimParty) -> dict[str, str]:
    values = {f"{prefix}.name": _party_name(party)}
    if party.address is not None:
        street = party.address.line1 if not party.address.line2 else f"{party.address.line1} {party.address.line2}"
        values[f"{prefix}.street"] = _upper(street)
        values[f"{prefix}.city"] = _city_line(party.address)
    return values


# Item 1 (NUCC 1500 Claim Form Reference Instruction Manual): the program box each claim filing indicator
# checks. "Other" covers HMOs, commercial insurance, automobile, liability and workers' compensation (the
# manual's words), so CI, BL, HM, WC and VA check it; the employer plan kinds (PPO, POS, EPO, indemnity) and
# the federal employees' program are group health plans; Black Lung and other federal programs are FECA.
_GROUP_HEALTH = frozenset(
    {
        ClaimFilingIndicator.PPO,
        ClaimFilingIndicator.POS,
        ClaimFilingIndicator.EPO,
        ClaimFilingIndicator.INDEMNITY,
        ClaimFilingIndicator.FEDERAL_EMPLOYEES,
    }
)
_PROGRAM_BOX = {
    ClaimFilingIndicator.MEDICARE_PART_A: "medicare",
    ClaimFilingIndicator.MEDICARE_PART_B: "medicare",
    ClaimFilingIndicator.MEDICAID: "medicaid",
    ClaimFilingIndicator.CHAMPUS: "tricare",
    ClaimFilingIndicator.OTHER_FEDERAL: "feca",
    **dict.fromkeys(_GROUP_HEALTH, "group"),
}


def program_box(indicator: ClaimFilingIndicator) -> str:
    """Item 1's box for a claim filing indicator: medicare, medicaid, tricare, group, feca or other."""
    return _PROGRAM_BOX.get(indicator, "other")


def _carrier(claim: Claim) -> dict[str, str]:
    payer = claim.payer
    lines = [_upper(payer.name)]
    if payer.address is not None:
        lines.append(_upper(payer.address.line1))
        if payer.address.line2:
            lines.append(_upper(payer.address.line2))
        lines.append(_city_line(payer.address))
    return {f"carrier.{n}": text for n, text in enumerate(lines[:4], start=1)}


def _header(claim: Claim) -> dict[str, str]:
    """Everything but the service lines and item 28: the same on every form of the claim."""
    values: dict[str, str] = _carrier(claim)
    patient, insured = claim.patient, claim.subscriber
    values[f"1.{program_box(claim.payer.filing_indicator)}"] = CHECKED
    values["1a"] = _upper(claim.member_id)
    values["2"] = _person_name(patient)
    values["3.dob"] = _mm_dd_yyyy(patient.birth_date)
    if patient.sex.upper() in ("M", "F"):
        values[f"3.sex_{patient.sex.lower()}"] = CHECKED
    values["4"] = _person_name(insured)
    values |= _address_fields("5", patient.address)
    values[RELATIONSHIP_FIELDS.get(claim.relationship, "6.other")] = CHECKED
    insured_address = insured.address or (patient.address if claim.relationship == "self" else None)
    values |= _address_fields("7", insured_address)
    # Medicare: "NONE" in item 11 says no insurance is primary to Medicare.
    values["11"] = _upper(claim.group_number) or ("NONE" if claim.payer.is_medicare else "")
    if claim.relationship != "self":
        values["11a.dob"] = _mm_dd_yyyy(insured.birth_date)
        if insured.sex.upper() in ("M", "F"):
            values[f"11a.sex_{insured.sex.lower()}"] = CHECKED
    if claim.other_payers:  # items 9, 9a, 9d and 11d: the payer before this one (secondary and tertiary claims)
        other = claim.other_payers[-1]
        values["9"] = _upper(
            ", ".join(part for part in (other.subscriber.last_name, other.subscriber.first_name) if part)
        )
        values["9a"] = _upper(other.group_number or other.member_id)
        values["9d"] = _upper(other.payer_name)
        values["11d.yes"] = CHECKED
    if claim.referring_provider is not None:
        values["17.qual"] = REFERRING_QUALIFIER
        values["17.name"] = _party_name(claim.referring_provider)
        values["17b"] = claim.referring_provider.npi
    values["21.ind"] = ICD10_INDICATOR
    for letter, code in zip(POINTER_LETTERS, claim.diagnoses, strict=False):
        values[f"21.{letter}"] = _icd10(code)
    if claim.frequency is not ClaimFrequency.ORIGINAL:
        values["22.code"] = claim.frequency.value
        values["22.original_ref"] = _upper(claim.original_claim_number)
    if claim.prior_authorization:
        values["23"] = _upper(claim.prior_authorization)
    billing, rendering = claim.billing_provider, claim.rendering_provider
    if billing.tax_id:
        values["25"] = billing.tax_id.replace("-", "")
        values["25.ein"] = CHECKED
    values["26"] = _upper(claim.claim_id)
    values["31.name"] = _party_name(rendering)
    values["31.date"] = _mm_dd_yy(
        claim.created or max((ln.service_date for ln in claim.lines), default=claim.service_date)
    )
    # ptbill bills from the clinic's own location: the service facility is the billing provider.
    values |= _provider_block("32", billing)
    values["32a"] = billing.npi
    values |= _provider_block("33", billing)
    values["33a"] = billing.npi
    return values


def _service_line(number: int, line: ServiceLine, rendering_npi: str) -> dict[str, str]:
    dollars, cents = _money(line.charge)
    return {
        f"24A.from.{number}": _mm_dd_yy(line.service_date),
        f"24A.to.{number}": _mm_dd_yy(line.service_date),
        f"24B.{number}": line.place_of_service,
        f"24D.code.{number}": _upper(line.code),
        f"24D.modifiers.{number}": " ".join(m.upper() for m in line.modifiers),
        f"24E.{number}": "".join(POINTER_LETTERS[p - 1] for p in line.diagnosis_pointers),
        f"24F.dollars.{number}": dollars,
        f"24F.cents.{number}": cents,
        f"24G.{number}": str(line.units),
        f"24J.{number}": rendering_npi,
    }


def page_values(page: FormPage, totals: MultiPageTotals = MultiPageTotals.EACH_FORM) -> dict[str, str]:
    """Field name (``LAYOUT.fields``) → the text printed there on this form; checked boxes hold "X"."""
    claim = page.claim
    values = _header(claim)
    for number, line in enumerate(page.lines, start=1):
        values |= _service_line(number, line, claim.rendering_provider.npi)
    if page.count > 1:
        values["page"] = f"PAGE {page.number} OF {page.count}"
    if totals is MultiPageTotals.LAST_FORM and page.number < page.count:
        values["28.continued"] = "CONTINUED"
    else:
        total = page.total_charge if totals is MultiPageTotals.EACH_FORM else claim.total_charge
        values["28.dollars"], values["28.cents"] = _money(total)
    return {name: text for name, text in values.items() if text}


def _draw_text(c: Canvas, f: Field, text: str) -> None:
    text = CHECKED if f.check else text[: f.width]
    offset = f.width - len(text) if f.align is Align.RIGHT else 0
    x = f.rect.x0 + offset * COLUMN_WIDTH + (COLUMN_WIDTH - _CHAR_ADVANCE) / 2
    t = c.beginText(x, PAGE_HEIGHT - f.rect.bottom + _BASELINE_RISE)
    t.setFont(DATA_FONT, DATA_SIZE)
    t.setCharSpace(_CHAR_SPACE)
    t.textOut(text)
    c.drawText(t)


def _draw_page(c: Canvas, claim_id: str, values: Mapping[str, str]) -> None:
    # Drawn as plain text (a canvas reads no markup); anything not printable ASCII would print as garbage.
    foreign = [f"item {name}: {describe(outside_x12(text))}" for name, text in values.items() if outside_x12(text)]
    if foreign:
        raise Cms1500Error(claim_id, [f"{problem} cannot be printed" for problem in foreign])
    c.saveState()
    c.setFillColorRGB(0, 0, 0)
    for name, text in values.items():
        _draw_text(c, LAYOUT.field(name), text)
    c.restoreState()


def render_cms1500(
    claims: Sequence[Claim],
    *,
    draw_form: bool = True,
    totals: MultiPageTotals = MultiPageTotals.EACH_FORM,
) -> bytes:
    """One PDF with every claim's forms, in order. ``draw_form=False`` prints the data alone, for
    pre-printed red-ink forms (what payers that scan paper claims require)."""
    if not claims:
        raise ValueError("render_cms1500 needs at least one claim")
    for claim in claims:
        check_printable(claim)
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1, invariant=1)
    c.setTitle("CMS-1500 (02/12) claims")
    c.setCreator("ptbill")
    form = define_form(c) if draw_form else None
    for claim in claims:
        for page in paginate(claim):
            if form is not None:
                c.doForm(form)
            _draw_page(c, claim.claim_id, page_values(page, totals))
            c.showPage()
    c.save()
    return buffer.getvalue()


def write_cms1500(
    claims: Sequence[Claim],
    path: str | Path,
    *,
    draw_form: bool = True,
    totals: MultiPageTotals = MultiPageTotals.EACH_FORM,
) -> Path:
    """Write ``render_cms1500(claims)`` to ``path``; returns the path."""
    target = Path(path)
    target.write_bytes(render_cms1500(claims, draw_form=draw_form, totals=totals))
    return target
