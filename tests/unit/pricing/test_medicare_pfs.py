"""Medicare PFS amounts against facts.md §5 (formula, RVUs, GPCIs, CF), MPPR (§4.6) and CQ (§4.2)."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ptbill.domain.dates import DateRange
from ptbill.domain.errors import ReferenceDataError
from ptbill.pricing import (
    AdjustmentOrder,
    MedicareFeeSchedule,
    NotPricedError,
    PfsYear,
    PricingLine,
    price_visit,
)
from ptbill.pricing.medicare_pfs import DEFAULT_DIRECTORY

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
DERIVED_97012 = SHARED / "reference" / "data" / "pfs_2025_97012_by_locality_DERIVED.csv"
CF_2025 = Decimal("32.3465")
DOS = date(2025, 3, 4)
REST_OF_TEXAS = "04412-99"  # GPCIs work 1.000, PE 0.945, MP 0.934


@pytest.fixture(scope="module")
def pfs2025() -> PfsYear:
    year = MedicareFeeSchedule.default().schedule_for(DOS)
    assert year is not None
    return year


def test_the_2025_schedule_carries_cms_values(pfs2025: PfsYear) -> None:
    assert pfs2025.effective == DateRange(date(2025, 1, 1), date(2026, 1, 1))
    assert pfs2025.conversion_factor == CF_2025
    assert len(pfs2025.localities) == 109
    row = pfs2025.rvu("97012")
    assert row is not None
    assert (row.status, row.work, row.pe_nonfacility, row.mp, row.mult_proc) == (
        "A", Decimal("0.25"), Decimal("0.18"), Decimal("0.01"), "5"
    )  # fmt: skip
    assert row.pe_facility_na


def test_national_97012_is_14_23_and_says_how(pfs2025: PfsYear) -> None:
    price = pfs2025.amount("97012", "national")
    assert price.amount == Decimal("14.23")
    assert price.adjusted_rvu == Decimal("0.44")
    assert "work 0.25 × 1.000 + PE 0.18 × 1.000 + MP 0.01 × 1.000 = 0.44 RVU × $32.3465 ≈ $14.2325" in price.steps
    assert price.steps[-1].endswith("rounded half-up to the cent, once, at the end: $14.23.")
    assert "RVU25A" in price.source
    assert "32.3465" in price.source


@pytest.mark.skipif(not DERIVED_97012.is_file(), reason="shared reference data not present")
def test_97012_matches_the_derived_amount_in_every_locality(pfs2025: PfsYear) -> None:
    with DERIVED_97012.open(newline="") as handle:
        expected = {
            f"{r['mac']}-{r['locality']}": Decimal(r["nonfacility_amount_derived"]) for r in csv.DictReader(handle)
        }
    assert len(expected) == 109
    computed = {key: pfs2025.amount("97012", key).amount for key in expected}
    mismatches = {key: (computed[key], want) for key, want in expected.items() if computed[key] != want}
    assert mismatches == {}
    assert computed["10112-00"] == Decimal("13.33")  # Alabama, facts.md §5.4
    assert computed["02102-01"] == Decimal("18.62")  # Alaska, 1.5 work floor


def test_facility_pricing_of_a_therapy_code_uses_the_non_facility_pe(pfs2025: PfsYear) -> None:
    price = pfs2025.amount("97012", REST_OF_TEXAS, facility=True)
    assert price.pe_setting == "non-facility"
    assert price.amount == pfs2025.amount("97012", REST_OF_TEXAS).amount
    assert any("Facility PE is NA for 97012" in step for step in price.steps)


def test_codes_medicare_does_not_price_are_refused_with_the_reason(pfs2025: PfsYear) -> None:
    with pytest.raises(NotPricedError, match="status B, bundled"):
        pfs2025.amount("97010", "national")
    with pytest.raises(NotPricedError, match="priced by the Medicare contractor"):
        pfs2025.amount("97039", "national")
    with pytest.raises(NotPricedError, match="not in the Medicare PFS 2025 RVU file"):
        pfs2025.amount("98940", "national")
    with pytest.raises(NotPricedError, match="no locality '99999-99'"):
        pfs2025.amount("97012", "99999-99")


def test_no_schedule_is_in_force_for_2026_dates() -> None:
    schedule = MedicareFeeSchedule.default()
    assert schedule.schedule_for(date(2025, 12, 31)) is not None
    assert schedule.schedule_for(date(2026, 1, 1)) is None
    assert schedule.schedule_for(date(2026, 11, 26)) is None
    assert schedule.schedule_for(date(2024, 12, 31)) is None


def test_mppr_keeps_full_pe_on_one_unit_of_the_highest_pe_code_and_cq_pays_85_percent(pfs2025: PfsYear) -> None:
    visit = [
        PricingLine("97110", 2, DOS, ("GP",)),
        PricingLine("97140", 1, DOS, ("GP", "CQ")),
        PricingLine("97012", 1, DOS, ("GP",)),
    ]
    therex, manual, traction = price_visit(visit, pfs2025, REST_OF_TEXAS)

    # PE payment per unit (PE RVU × 0.945 × CF): 97110 0.43 → $13.1440, 97140 0.40 → $12.2270,
    # 97012 0.18 → $5.5021. The first 97110 unit keeps its full PE; the other three units get 50 %.
    assert (therex.full_pe_units, therex.reduced_pe_units) == (1, 1)
    assert (manual.full_pe_units, manual.reduced_pe_units) == (0, 1)
    assert (traction.full_pe_units, traction.reduced_pe_units) == (0, 1)

    # 97110: full unit 0.45 + 0.43×0.945 + 0.01×0.934 = 0.86569 RVU;
    #        reduced unit 0.45 + 0.5×0.43×0.945 + 0.00934 = 0.662515 RVU;
    #        (0.86569 + 0.662515) × 32.3465 = 49.4320830325 → $49.43
    assert therex.amount == Decimal("49.43")
    # 97140 (CQ): 0.43 + 0.5×0.40×0.945 + 0.00934 = 0.62834 RVU × 32.3465 = 20.324599810;
    #             × 0.85 = 17.2759098385 → $17.28 (rounding only at the end: not 0.85 × $20.32 = $17.27)
    assert manual.amount == Decimal("17.28")
    assert manual.assistant_rate_applied
    # 97012: 0.25 + 0.5×0.18×0.945 + 0.00934 = 0.34439 RVU × 32.3465 = 11.139811135 → $11.14
    assert traction.amount == Decimal("11.14")

    assert any("The highest PE payment per unit is 97110's" in step for step in therex.steps)
    assert any("85 % × $20.3246 ≈ $17.2759" in step for step in manual.steps)
    for line in (therex, manual, traction):
        assert any(step.startswith("Order: MPPR first") and "NOT CONFIRMED" in step for step in line.steps)


def test_the_order_choice_decides_which_unit_keeps_full_pe(pfs2025: PfsYear) -> None:
    visit = [PricingLine("97110", 1, DOS, ("GP", "CQ")), PricingLine("97140", 1, DOS, ("GP",))]
    # MPPR first: 97110's PE payment (0.43 × CF) beats 97140's (0.40 × CF).
    therex, manual = price_visit(visit, pfs2025, "national")
    assert (therex.full_pe_units, manual.full_pe_units) == (1, 0)
    assert therex.amount == Decimal("24.47")  # (0.45 + 0.43 + 0.01) × CF × 0.85 = 24.4710...
    assert manual.amount == Decimal("20.70")  # (0.43 + 0.20 + 0.01) × CF = 20.70176
    # CQ first: 97110's PE payment drops to 0.85 × 0.43 × CF = $11.8226, below 97140's $12.9386.
    therex, manual = price_visit(visit, pfs2025, "national", order=AdjustmentOrder.CQ_THEN_MPPR)
    assert (therex.full_pe_units, manual.full_pe_units) == (0, 1)
    assert therex.amount == Decimal("18.56")  # (0.45 + 0.215 + 0.01) × CF × 0.85 = 18.5591...
    assert manual.amount == Decimal("27.17")  # 0.84 × CF = 27.17106
    assert any(step.startswith("Order: CQ/CO 85 % first") for step in therex.steps)


def test_mppr_is_per_day_and_a_single_unit_is_paid_in_full(pfs2025: PfsYear) -> None:
    visit = [PricingLine("97012", 1, DOS, ("GP",)), PricingLine("97110", 1, date(2025, 3, 6), ("GP",))]
    traction, therex = price_visit(visit, pfs2025, "national")
    assert traction.amount == Decimal("14.23")
    assert therex.amount == Decimal("28.79")  # 0.89 × 32.3465 = 28.788385
    assert traction.full_pe_units == therex.full_pe_units == 1


def test_a_bundled_code_is_priced_at_zero_with_the_reason(pfs2025: PfsYear) -> None:
    (hot_pack,) = price_visit([PricingLine("97010", 1, DOS, ("GP",))], pfs2025, "national")
    assert hot_pack.amount == Decimal("0.00")
    assert "bundled" in hot_pack.steps[0]


def test_cq_pays_the_schedule_years_assistant_rate(pfs2025: PfsYear) -> None:
    # The rate is a dated value of each schedule year (85 % from 2022; a 2021 schedule would say 100 %).
    assert pfs2025.assistant_rate == Decimal("0.85")
    assert "53107" in pfs2025.assistant_reference
    (cut,) = price_visit([PricingLine("97012", 1, DOS, ("GP", "CQ"))], pfs2025, "national")
    assert cut.amount == Decimal("12.10")  # 0.44 × 32.3465 × 0.85 = 12.097591
    assert cut.assistant_rate_applied
    before_2022 = dataclasses.replace(pfs2025, assistant_rate=Decimal(1))
    (full,) = price_visit([PricingLine("97012", 1, DOS, ("GP", "CQ"))], before_2022, "national")
    assert full.amount == Decimal("14.23")
    assert not full.assistant_rate_applied
    assert any("pays assistants in full" in step for step in full.steps)


def test_the_mppr_share_is_a_cited_value_of_the_schedule(pfs2025: PfsYear) -> None:
    assert pfs2025.mppr_pe_share == Decimal("0.5")
    assert "2013-04-01" in pfs2025.mppr_reference


def test_co_counts_as_an_assistant_modifier(pfs2025: PfsYear) -> None:
    (line,) = price_visit([PricingLine("97012", 1, DOS, ("GO", "CO"))], pfs2025, "national")
    assert line.amount == Decimal("12.10")


def test_a_line_outside_the_schedule_period_is_refused(pfs2025: PfsYear) -> None:
    with pytest.raises(ValueError, match="outside Medicare PFS 2025"):
        price_visit([PricingLine("97012", 1, date(2026, 1, 2))], pfs2025, "national")


def test_units_must_be_positive() -> None:
    with pytest.raises(ValueError, match="units must be 1 or more"):
        PricingLine("97012", 0, DOS)


def _copy_year(tmp_path: Path, name: str, start: str, end: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(DEFAULT_DIRECTORY / "2025", folder)
    meta = json.loads((folder / "schedule.json").read_text())
    meta.update(effective_from=start, effective_to_exclusive=end)
    (folder / "schedule.json").write_text(json.dumps(meta))
    return folder


def test_adding_a_year_is_adding_a_folder(tmp_path: Path) -> None:
    _copy_year(tmp_path, "2025", "2025-01-01", "2026-01-01")
    _copy_year(tmp_path, "2026", "2026-01-01", "2027-01-01")
    schedule = MedicareFeeSchedule.load(tmp_path)
    found = schedule.schedule_for(date(2026, 2, 1))
    assert found is not None
    assert found.name == "2026"


def test_overlapping_schedule_folders_are_refused(tmp_path: Path) -> None:
    _copy_year(tmp_path, "2025", "2025-01-01", "2026-01-01")
    _copy_year(tmp_path, "2025b", "2025-07-01", "2026-01-01")
    with pytest.raises(ReferenceDataError, match="overlap"):
        MedicareFeeSchedule.load(tmp_path)


def test_a_bad_rvu_row_names_file_line_and_field(tmp_path: Path) -> None:
    folder = _copy_year(tmp_path, "2025", "2025-01-01", "2026-01-01")
    rvu = folder / "rvu.csv"
    lines = rvu.read_text().splitlines()
    lines[2] = lines[2].replace("0.25", "0.2x5", 1)  # 97012 is the second data row
    rvu.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReferenceDataError, match=r"rvu\.csv: line 3: field 'work_rvu': '0\.2x5' is not a number"):
        PfsYear.load(folder)


def test_the_same_visit_on_another_day_reuses_its_prices_with_that_day_written_in(pfs2025: PfsYear) -> None:
    from ptbill.pricing import medicare_pfs

    def visit(day: date) -> list[PricingLine]:
        return [PricingLine("97110", 2, day, ("GP",)), PricingLine("97012", 1, day, ("GP", "CQ"))]

    later = date(2025, 6, 17)
    first, second = price_visit(visit(DOS), pfs2025, REST_OF_TEXAS), price_visit(visit(later), pfs2025, REST_OF_TEXAS)
    medicare_pfs._ONE_DAY_PRICES.clear()
    fresh = price_visit(visit(later), pfs2025, REST_OF_TEXAS)
    assert second == fresh  # amounts, steps and dates as if priced anew
    assert [p.amount for p in first] == [p.amount for p in second]
    assert all(p.service_date == later for p in second)
    assert any(str(later) in step for step in second[0].steps)
    assert not any(str(DOS) in step or "\x00" in step for price in second for step in price.steps)
    two_days = price_visit([*visit(DOS)[:1], *visit(later)[1:]], pfs2025, REST_OF_TEXAS)
    assert [p.service_date for p in two_days] == [DOS, later]  # a visit over two days is priced as it is
