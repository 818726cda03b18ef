"""The 1500 claim form PDF: every value lands in its box of the layout table, six lines a form."""

from __future__ import annotations

import io
import itertools
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from pdfplumber.page import Page

from ptbill.claims.cms1500 import (
    LAYOUT,
    Cms1500Error,
    MultiPageTotals,
    Rect,
    page_values,
    paginate,
    render_cms1500,
    write_cms1500,
)
from ptbill.claims.cms1500.form import DATA_FONT
from ptbill.claims.cms1500.layout import COLUMN_WIDTH, PAGE_HEIGHT, PAGE_WIDTH
from ptbill.domain.claim import (
    Claim,
    ClaimFrequency,
    ClaimParty,
    ClaimPayer,
    InsuredName,
    OtherPayer,
    Person,
    PostalAddress,
    ServiceLine,
)
from ptbill.domain.vocabulary import ClaimFilingIndicator

DAY = date(2026, 3, 2)
BILLING_NPI = "1245319599"
RENDERING_NPI = "1093817462"
REFERRING_NPI = "1528060639"


def line(number: int, code: str, charge: str, pointers: tuple[int, ...] = (1, 2), units: int = 1) -> ServiceLine:
    return ServiceLine(number, code, ("GP",), units, Decimal(charge), pointers, DAY, "11")


def lumbar_traction_claim(**changes: object) -> Claim:
    """A clean Medicare visit: lumbar traction, exercise and manual therapy (synthetic people)."""
    patient = Person("Ava", "Testwell", date(1961, 4, 2), "F", PostalAddress("9 Oak St", "Goleta", "CA", "93117"))
    claim = Claim(
        claim_id="EX01-20260302",
        encounter_id="ex-01",
        payer=ClaimPayer(
            "ca-medicare-south",
            "Medicare Part B",
            "01182",
            filing_indicator=ClaimFilingIndicator.MEDICARE_PART_B,
            address=PostalAddress("PO Box 6775", "Fargo", "ND", "58108-6775"),
        ),
        billing_provider=ClaimParty(
            "Harbor Physical Therapy",
            BILLING_NPI,
            tax_id="954512345",
            address=PostalAddress("120 Harbor Way", "Santa Barbara", "CA", "93109"),
        ),
        rendering_provider=ClaimParty("Reyes", RENDERING_NPI, first_name="Dana"),
        patient=patient,
        subscriber=patient,
        relationship="self",
        member_id="1EG4TE5MK73",
        group_number=None,
        diagnoses=("M5116", "M5416"),
        lines=(line(1, "97012", "48.00"), line(2, "97110", "72.00", (1,)), line(3, "97140", "66.00", (2,))),
        place_of_service="11",
        service_date=DAY,
        referring_provider=ClaimParty("Cho", REFERRING_NPI, first_name="Alan"),
        prior_authorization="A-5531",
        created=date(2026, 3, 3),
    )
    return replace(claim, **changes)


def eight_line_claim(**changes: object) -> Claim:
    codes = ["97012", "97110", "97140", "97112", "97530", "97035", "97014", "97010"]
    lines = tuple(line(n, code, f"{40 + n}.25") for n, code in enumerate(codes, start=1))
    return lumbar_traction_claim(lines=lines, **changes)


def open_pdf(data: bytes) -> pdfplumber.PDF:
    return pdfplumber.open(io.BytesIO(data))


def data_only(page: Page) -> Page:
    """The page without the red form's captions: only what was printed in the data font."""
    return page.filter(lambda obj: obj.get("object_type") != "char" or obj.get("fontname") == DATA_FONT)


def text_in(page: Page, rect: Rect) -> str:
    """The data text lying wholly inside ``rect``."""
    return data_only(page).within_bbox(rect.bbox).extract_text().strip()


@pytest.fixture(scope="module")
def clean_pdf() -> pdfplumber.PDF:
    return open_pdf(render_cms1500([lumbar_traction_claim()]))


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("24D.1", "97012 GP"),
        ("24D.2", "97110 GP"),
        ("24D.3", "97140 GP"),
        ("24G.1", "1"),
        ("24E.1", "AB"),
        ("24E.3", "B"),
        ("24F.2", "72 00"),  # dollars and cents in their own areas, no decimal point
        ("24A.from.1", "03 02 26"),
        ("24B.1", "11"),
        ("24J.1", RENDERING_NPI),
        ("24D.4", ""),
        ("28", "186 00"),
        ("33a", BILLING_NPI),
        ("32a", BILLING_NPI),
        ("1a", "1EG4TE5MK73"),
        ("2", "TESTWELL, AVA"),
        ("4", "TESTWELL, AVA"),
        ("11", "NONE"),  # Medicare: no insurance primary to Medicare
        ("17b", REFERRING_NPI),
        ("17", "DN ALAN CHO"),
        ("22", ""),  # an original claim has no resubmission code
        ("23", "A-5531"),
        ("25", "954512345 X"),  # the number, and the EIN box checked
        ("26", "EX01-20260302"),
    ],
)
def test_each_value_lands_inside_its_box(clean_pdf: pdfplumber.PDF, where: str, expected: str) -> None:
    assert text_in(clean_pdf.pages[0], LAYOUT.box(where).rect) == expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("21.A", "M51.16"),
        ("21.B", "M54.16"),
        ("21.C", ""),
        ("21.ind", "0"),
        ("1.medicare", "X"),
        ("1.other", ""),
        ("3.dob", "04 02 1961"),
        ("3.sex_f", "X"),
        ("3.sex_m", ""),
        ("6.self", "X"),
        ("5.street", "9 OAK ST"),
        ("5.city", "GOLETA"),
        ("5.state", "CA"),
        ("5.zip", "93117"),
        ("7.street", "9 OAK ST"),
        ("carrier.1", "MEDICARE PART B"),
        ("carrier.3", "FARGO ND 58108-6775"),
        ("31.name", "DANA REYES"),
        ("31.date", "03 03 26"),
        ("32.name", "HARBOR PHYSICAL THERAPY"),
        ("33.name", "HARBOR PHYSICAL THERAPY"),
        ("33.street", "120 HARBOR WAY"),
        ("33.city", "SANTA BARBARA CA 93109"),
        ("33.phone", ""),
        ("page", ""),  # a one-form claim carries no page number
    ],
)
def test_fields_hold_the_claims_data(clean_pdf: pdfplumber.PDF, field: str, expected: str) -> None:
    assert text_in(clean_pdf.pages[0], LAYOUT.field(field).rect) == expected


def test_every_printed_value_is_exactly_its_fields_text(clean_pdf: pdfplumber.PDF) -> None:
    page = clean_pdf.pages[0]
    values = page_values(paginate(lumbar_traction_claim())[0])
    for name, value in values.items():
        f = LAYOUT.field(name)
        assert text_in(page, f.rect) == ("X" if f.check else value), name


def test_no_data_falls_outside_the_fields(clean_pdf: pdfplumber.PDF) -> None:
    page = clean_pdf.pages[0]
    rects = [LAYOUT.field(name).rect for name in page_values(paginate(lumbar_traction_claim())[0])]
    chars = [c for c in page.chars if c["fontname"] == DATA_FONT]
    assert chars
    for c in chars:
        char = Rect(c["x0"], c["top"], c["x1"], c["bottom"])
        assert any(r.contains(char) for r in rects), f"{c['text']!r} at {char} is in no field"


def test_the_page_is_letter_size_and_data_keeps_ten_characters_an_inch(clean_pdf: pdfplumber.PDF) -> None:
    page = clean_pdf.pages[0]
    assert (page.width, page.height) == (PAGE_WIDTH, PAGE_HEIGHT) == (612, 792)
    npi = data_only(page).within_bbox(LAYOUT.box("33a").rect.bbox).chars
    gaps = {round(b["x0"] - a["x0"], 3) for a, b in itertools.pairwise(npi)}
    assert gaps == {COLUMN_WIDTH}
    assert {c["size"] for c in npi} == {10}


def test_the_red_form_is_drawn_once_and_reused_on_every_page() -> None:
    data = render_cms1500([eight_line_claim(), lumbar_traction_claim()])
    assert data.count(b"/Subtype /Form") == 1
    with open_pdf(data) as pdf:
        assert len(pdf.pages) == 3
        for page in pdf.pages:
            captions = "".join(c["text"] for c in page.chars if c["fontname"] != DATA_FONT)
            assert "TOTALCHARGE" in captions.replace(" ", "")


def test_eight_lines_continue_on_a_second_form_with_its_own_total() -> None:
    claim = eight_line_claim()
    with open_pdf(render_cms1500([claim])) as pdf:
        first, second = pdf.pages
        assert [text_in(first, LAYOUT.box(f"24D.{n}").rect)[:5] for n in range(1, 7)] == [
            "97012",
            "97110",
            "97140",
            "97112",
            "97530",
            "97035",
        ]
        assert [text_in(second, LAYOUT.box(f"24D.{n}").rect) for n in range(1, 7)] == [
            "97014 GP",
            "97010 GP",
            "",
            "",
            "",
            "",
        ]
        # 41.25 + ... + 46.25 on the first form, 47.25 + 48.25 on the second.
        assert text_in(first, LAYOUT.box("28").rect) == "262 50"
        assert text_in(second, LAYOUT.box("28").rect) == "95 50"
        assert text_in(first, LAYOUT.field("page").rect) == "PAGE 1 OF 2"
        assert text_in(second, LAYOUT.field("page").rect) == "PAGE 2 OF 2"
        # The header repeats on every form: the same patient, diagnoses and billing NPI.
        for page in (first, second):
            assert text_in(page, LAYOUT.field("21.A").rect) == "M51.16"
            assert text_in(page, LAYOUT.box("33a").rect) == BILLING_NPI
    assert sum(p.total_charge for p in paginate(claim)) == claim.total_charge == Decimal("358.00")


def test_a_payer_that_totals_on_the_last_form_gets_continued_first() -> None:
    data = render_cms1500([eight_line_claim()], totals=MultiPageTotals.LAST_FORM)
    with open_pdf(data) as pdf:
        first, second = pdf.pages
        assert text_in(first, LAYOUT.box("28").rect) == "CONTINUED"
        assert text_in(second, LAYOUT.box("28").rect) == "358 00"


def test_a_void_names_its_original_claim_in_item_22() -> None:
    claim = lumbar_traction_claim(frequency=ClaimFrequency.VOID, original_claim_number="26061000123456")
    with open_pdf(render_cms1500([claim])) as pdf:
        page = pdf.pages[0]
        assert text_in(page, LAYOUT.field("22.code").rect) == "8"
        assert text_in(page, LAYOUT.field("22.original_ref").rect) == "26061000123456"


def test_a_commercial_spouse_claim_checks_other_and_names_the_insured() -> None:
    spouse = Person("Sam", "Testwell", date(1958, 9, 14), "M", PostalAddress("9 Oak St", "Goleta", "CA", "93117-1234"))
    claim = lumbar_traction_claim(
        payer=ClaimPayer("pacific-blue", "Pacific Blue PPO", "PB001", filing_indicator=ClaimFilingIndicator.COMMERCIAL),
        subscriber=spouse,
        relationship="spouse",
        group_number="GRP-88120",
        lines=(replace(line(1, "97012", "48.00"), modifiers=("GP", "KX", "59", "CQ")),),
    )
    with open_pdf(render_cms1500([claim])) as pdf:
        page = pdf.pages[0]
        expected = {
            "1.other": "X",
            "1.medicare": "",
            "4": "TESTWELL, SAM",
            "6.spouse": "X",
            "6.self": "",
            "7.zip": "93117-1234",
            "11": "GRP-88120",
            "11a.dob": "09 14 1958",
            "11a.sex_m": "X",
            "carrier.1": "PACIFIC BLUE PPO",
            "carrier.2": "",
        }
        assert {name: text_in(page, LAYOUT.field(name).rect) for name in expected} == expected
        assert text_in(page, LAYOUT.box("24D.1").rect) == "97012 GP KX 59 CQ"


def test_data_alone_for_pre_printed_forms() -> None:
    with open_pdf(render_cms1500([lumbar_traction_claim()], draw_form=False)) as pdf:
        page = pdf.pages[0]
        assert {c["fontname"] for c in page.chars} == {DATA_FONT}
        assert not page.rects
        assert text_in(page, LAYOUT.box("24D.1").rect) == "97012 GP"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"diagnoses": tuple(f"M54{n:02d}" for n in range(13))}, "13 diagnoses"),
        ({"lines": (replace(line(1, "97012", "48.00"), modifiers=("GP", "KX", "59", "CQ", "XU")),)}, "5 modifiers"),
        ({"lines": (line(1, "97012", "48.00", (1, 3)),)}, "pointer(s) [3]"),
        ({"lines": (line(1, "97012", "-5.00"),)}, "does not fit 24F"),
        ({"frequency": ClaimFrequency.REPLACEMENT}, "original claim number"),
    ],
)
def test_what_the_form_has_no_room_for_is_refused(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(Cms1500Error, match=problem.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        render_cms1500([lumbar_traction_claim(**changes)])


def test_the_layout_geometry() -> None:
    # 8.5 x 11 in; print column 1 at 0.3 in, 10 columns and 6 lines an inch.
    assert LAYOUT.field("1a").rect.x0 == pytest.approx(0.3 * 72 + 49 * 7.2)
    assert LAYOUT.field("1a").rect.top == pytest.approx(7 * 12)
    assert LAYOUT.box("24D.1").rect.top == pytest.approx(42 * 12)
    assert LAYOUT.box("24D.6").rect.bottom == pytest.approx(54 * 12)
    page = Rect(0, 0, PAGE_WIDTH, PAGE_HEIGHT)
    assert all(page.contains(b.rect) for b in LAYOUT.boxes)
    assert len([b for b in LAYOUT.boxes if b.item.startswith("24D.")]) == 6


def test_write_cms1500_writes_the_pdf(tmp_path: Path) -> None:
    target = write_cms1500([lumbar_traction_claim()], tmp_path / "claims.pdf")
    assert target.read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match="at least one claim"):
        render_cms1500([])


def test_a_secondary_claim_names_the_primary_in_items_9_and_checks_11d() -> None:
    primary = lumbar_traction_claim()
    answer = OtherPayer(
        sequence="P",
        payer_name="Noridian JE Part B",
        payer_identifier="01182",
        filing_indicator=ClaimFilingIndicator.MEDICARE_PART_B,
        subscriber=InsuredName(primary.subscriber.last_name, primary.subscriber.first_name),
        relationship="self",
        member_id="1EG4TE5MK73",
        group_number=None,
        paid=Decimal("30.00"),
        adjudicated=date(2026, 3, 20),
        patient_liability=Decimal("7.50"),
    )
    claim = replace(
        primary,
        payer=ClaimPayer("aetna", "Aetna", "60054", filing_indicator=ClaimFilingIndicator.COMMERCIAL),
        payer_sequence="S",
        other_payers=(answer,),
    )
    with open_pdf(render_cms1500([claim])) as pdf:
        page = pdf.pages[0]
        assert text_in(page, LAYOUT.field("9").rect) == _person_name_of(primary.subscriber)
        assert text_in(page, LAYOUT.field("9a").rect) == "1EG4TE5MK73"
        assert text_in(page, LAYOUT.field("9d").rect) == "NORIDIAN JE PART B"
        assert text_in(page, LAYOUT.field("11d.yes").rect) == "X"


def _person_name_of(person: Person) -> str:
    return f"{person.last_name}, {person.first_name}".upper()
