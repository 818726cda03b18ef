"""Expected payment per claim line, through the engine: Medicare PFS by locality with MPPR and CQ, a
clinic's fee schedule, and the seed guide's average when no schedule is in force."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.reference.catalog import ReferenceCatalog
from ptbill.rules.engine import check_encounter

ROOT = Path(__file__).resolve().parents[3]


def visit_2025(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / "tests/scenarios/medicare-lumbar-clean.json").read_text())
    document["date_of_service"] = "2025-06-02"
    document["plan_of_care"].update(start_date="2025-05-20", certified_date="2025-05-25", end_date="2025-08-10")
    document["coverage"]["authorization"].update(valid_from="2025-05-20", valid_to="2025-08-20")
    document.update(changes)
    return document


def payments(document: dict[str, Any], catalog: ReferenceCatalog | None = None) -> dict[str, Decimal | None]:
    report = check_encounter(encounter_from_dict(document), catalog)
    return {line.code: line.expected_payment for line in report.claim_lines}


def test_a_2025_medicare_visit_is_priced_by_the_fee_schedule_with_mppr() -> None:
    # Rest of California GPCIs 1.014 / 1.093 / 0.560, CF 32.3465. 97110 has the highest PE payment,
    # so its unit keeps full PE; 97012 and 97140 are paid at 50 % of their PE.
    paid = payments(visit_2025())
    assert paid == {"97012": Decimal("11.56"), "97110": Decimal("30.14"), "97140": Decimal("21.36")}


def test_a_pta_visit_billed_with_cq_is_paid_at_85_percent() -> None:
    document = visit_2025()
    document["rendering_provider"] = {"name": "Sam Ortiz", "npi": "1003000126", "credential": "PTA"}
    for service in document["services"]:
        service["modifiers"] = ["GP", "CQ"]
    paid = payments(document)
    assert paid["97110"] == Decimal("25.62")  # 30.1434 x 0.85 = 25.622, rounded once at the end
    assert paid["97012"] == Decimal("9.83")  # 11.5629 x 0.85


def visit_2026(**changes: Any) -> dict[str, Any]:
    """97012 + 97110 x 2 (30 minutes) + 97140 on 2026-03-02, when no 2026 RVUs are installed."""
    document: dict[str, Any] = json.loads((ROOT / "tests/scenarios/medicare-lumbar-clean.json").read_text())
    document["services"][1]["minutes"] = 30
    document["total_treatment_minutes"] = 58
    document.update(changes)
    return document


# Rest of California GPCIs (2025 file) and the CY2026 non-QP conversion factor.
GPCI_WORK, GPCI_PE, GPCI_MP, CF_2026 = Decimal("1.014"), Decimal("1.093"), Decimal("0.560"), Decimal("33.4009")


def unit(work: str, pe: str, mp: str, pe_share: str = "1") -> Decimal:
    return (Decimal(work) * GPCI_WORK + Decimal(pe_share) * Decimal(pe) * GPCI_PE + Decimal(mp) * GPCI_MP) * CF_2026


def test_a_2026_medicare_visit_prices_every_line_with_the_2025_rvus_at_the_2026_cf() -> None:
    report = check_encounter(encounter_from_dict(visit_2026()))
    lines = {line.code: line for line in report.claim_lines}
    # 97110 has the highest PE payment: its first unit keeps full PE, every other unit gets 50 % (MPPR).
    expected = {
        "97012": unit("0.25", "0.18", "0.01", "0.5"),
        "97110": unit("0.45", "0.43", "0.01") + unit("0.45", "0.43", "0.01", "0.5"),
        "97140": unit("0.43", "0.40", "0.01", "0.5"),
    }
    assert {code: line.expected_payment for code, line in lines.items()} == {
        code: amount.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP") for code, amount in expected.items()
    }
    for line in lines.values():
        assert line.payment_is_estimate
        assert line.payment_method == "2025 RVUs at the 2026 CF, estimate"
        assert line.payment_basis is not None
        assert "$33.4009" in line.payment_basis
        assert "2026 RVUs are not installed" in line.payment_basis


def test_the_estimate_applies_cq_to_a_pta_visit() -> None:
    document = visit_2026(rendering_provider={"name": "Sam Ortiz", "npi": "1003000126", "credential": "PTA"})
    for service in document["services"]:
        service["modifiers"] = ["GP", "CQ"]
    paid = payments(document)
    assert paid["97140"] == (unit("0.43", "0.40", "0.01", "0.5") * Decimal("0.85")).quantize(
        Decimal("0.01"), rounding="ROUND_HALF_UP"
    )


def test_the_clinics_locality_wins_over_the_zip_guess() -> None:
    from ptbill.rules.engine import ClinicContext

    document = visit_2026()
    # Santa Barbara's ZIP guess is the state default (rest of California); the clinic says Los Angeles.
    report = check_encounter(encounter_from_dict(document), clinic=ClinicContext(medicare_locality="01182-18"))
    line = next(line for line in report.claim_lines if line.code == "97012")
    assert line.payment_basis is not None
    assert "01182-18, set by the clinic" in line.payment_basis
    guessed = payments(visit_2026())
    assert line.expected_payment != guessed["97012"]


def test_an_unknown_clinic_locality_falls_back_to_the_zip_guess_and_says_so() -> None:
    from ptbill.rules.engine import ClinicContext

    report = check_encounter(encounter_from_dict(visit_2026()), clinic=ClinicContext(medicare_locality="99999-99"))
    line = next(line for line in report.claim_lines if line.code == "97012")
    assert line.payment_basis is not None
    assert "99999-99 is not in the 2025 GPCI file" in line.payment_basis
    assert line.expected_payment == payments(visit_2026())["97012"]


def test_without_a_conversion_factor_for_the_year_the_seed_average_is_the_last_resort_with_cq() -> None:
    # No CF is shipped for 2027: no estimate, so 97012 falls back to the seed guide's average, with CQ.
    document = visit_2026(
        date_of_service="2027-02-01",
        rendering_provider={"name": "Sam Ortiz", "npi": "1003000126", "credential": "PTA"},
    )
    document["services"][0]["modifiers"] = ["GP", "CQ"]
    report = check_encounter(encounter_from_dict(document))
    line = next(line for line in report.claim_lines if line.code == "97012")
    assert line.expected_payment == Decimal("12.44")  # 14.64 x 0.85
    assert line.payment_basis is not None
    assert "seed guide" in line.payment_basis
    assert "CQ/CO" in line.payment_basis
    assert payments(document)["97110"] is None


def test_a_clinic_fee_schedule_wins_over_the_seed_average(tmp_path: Path) -> None:
    schedules = tmp_path / "fee_schedules"
    schedules.mkdir()
    (schedules / "aetna.csv").write_text(
        "code,modifiers,amount,effective_from,effective_to\n97012,,21.50,2026-01-01,2026-12-31\n97110,,33.00,2026-01-01,\n"
    )
    document = json.loads((ROOT / "tests/scenarios/commercial-lumbar-clean.json").read_text())
    paid = payments(document, ReferenceCatalog(installed_dir=tmp_path))
    assert paid["97012"] == Decimal("21.50")
    assert paid["97110"] == Decimal("33.00")
    assert paid["97140"] is None  # not in the contract, and the seed table only knows 97012


def test_a_code_the_schedule_cannot_price_leaves_mppr_on_the_others() -> None:
    # 97039 (unlisted modality) is contractor-priced: no expected amount, and the other three lines are
    # still priced together, so 97110 alone keeps its full practice expense.
    document = visit_2025()
    document["services"].append({"code": "97039", "modifiers": ["GP"], "diagnosis_pointers": [1], "minutes": 10})
    document["total_treatment_minutes"] = 61
    paid = payments(document)
    assert paid == {"97012": Decimal("11.56"), "97110": Decimal("30.14"), "97140": Decimal("21.36"), "97039": None}


@pytest.mark.parametrize(("day", "expected"), [("2021-12-31", Decimal("14.64")), ("2022-01-01", Decimal("12.44"))])
def test_cq_is_paid_in_full_until_2021_and_at_85_percent_from_2022(day: str, expected: Decimal) -> None:
    # No conversion factor is shipped for 2021-2022, so 97012 gets the seed average, with the assistant
    # share in force on the date of service (pfs.assistant_rate: 1 from 2020, 0.85 from 2022).
    document = visit_2026(
        date_of_service=day, rendering_provider={"name": "Sam Ortiz", "npi": "1003000126", "credential": "PTA"}
    )
    document["services"][0]["modifiers"] = ["GP", "CQ"]
    assert payments(document)["97012"] == expected


def test_the_readable_report_says_how_many_lines_were_priced_and_how() -> None:
    from ptbill.cli.render import expected_text

    estimate = check_encounter(encounter_from_dict(visit_2026()))
    assert expected_text(estimate) == ", expected $88.39 for 3 of 3 lines (2025 RVUs at the 2026 CF, estimate)"
    seed_only = check_encounter(encounter_from_dict(visit_2026(date_of_service="2027-02-01")))
    assert expected_text(seed_only) == ", expected $14.64 for 1 of 3 lines (seed average)"
