"""Expected payment per claim line, through the engine: Medicare PFS by locality with MPPR and CQ, a
clinic's fee schedule, and the seed guide's average when no schedule is in force."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

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


def test_a_2026_medicare_visit_falls_back_to_the_seed_average_and_says_so() -> None:
    document = json.loads((ROOT / "tests/scenarios/medicare-lumbar-clean.json").read_text())
    report = check_encounter(encounter_from_dict(document))
    line = next(line for line in report.claim_lines if line.code == "97012")
    assert line.expected_payment == Decimal("14.64")
    assert line.payment_basis is not None
    assert "seed guide" in line.payment_basis
    assert "no fee schedule in force" in line.payment_basis


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
