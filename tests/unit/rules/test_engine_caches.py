"""The engine's caches change no report: notes checked with every cache cleared first and with the caches warm.

The engine keeps the calculator's units per visit (``context._units_for``), seed-priced lines per snapshot
(``prices.expected_prices``), Medicare visits, lines and steps (``pricing.medicare_pfs``) and a Medicare line's
steps joined (``prices._joined``). Notes over every payer, many days of two years, codes, minutes, modifiers (CQ,
KX, GA), clinic localities and therapy amounts before the visit (so the KX threshold prices the visit) are checked
once with every cache cleared before each note, then twice with them warm; every finding, unit, tie and claim line
(with its expected payment and how it was worked out) must be the same.
"""

from __future__ import annotations

import copy
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.pricing.medicare_pfs import clear_price_caches
from ptbill.reference.catalog import ReferenceCatalog, default_catalog
from ptbill.rules import context as context_module
from ptbill.rules import prices
from ptbill.rules.engine import ClinicContext, check_encounter

BASE = json.loads(
    (Path(__file__).resolve().parents[2] / "scenarios" / "medicare-lumbar-clean.json").read_text(encoding="utf-8")
)
CODES = ["97110", "97112", "97140", "97530", "97035", "97116", "97012", "97014", "97750", "97161"]
MODIFIERS = [["GP"], ["GP", "CQ"], ["GP", "KX"], ["GP", "GA"], ["GP", "59"], []]
LOCALITIES = [None, "01112-75", "04412-99", "99999-99"]  # none set, two in the GPCI file, one not


def _notes(count: int, payers: list[str], seed: int) -> list[tuple[dict[str, Any], ClinicContext]]:
    rng = random.Random(seed)
    notes = []
    for i in range(count):
        note = copy.deepcopy(BASE)
        note["id"] = f"cache-{i}"
        note["date_of_service"] = f"{rng.choice([2025, 2026])}-{rng.randint(1, 12):02d}-{rng.randint(10, 28)}"
        note["coverage"]["payer"] = rng.choice(payers)
        note["plan_of_care"]["start_date"] = "2024-12-20"
        note["services"][0]["modifiers"] = rng.choice(MODIFIERS)  # 97012, the code with seed averages
        for service in note["services"][1:]:
            service["code"] = rng.choice(CODES)
            service["minutes"] = rng.randint(0, 45)
            service["modifiers"] = rng.choice(MODIFIERS)
        ytd = Decimal(rng.choice([0, 1500, 2300, 2400, 2450, 3000])) if rng.random() < 0.6 else None
        notes.append((note, ClinicContext(medicare_locality=rng.choice(LOCALITIES), therapy_claims_this_year=ytd)))
    return notes


def _report(catalog: ReferenceCatalog, note: dict[str, Any], clinic: ClinicContext) -> str:
    report = check_encounter(encounter_from_dict(note), catalog, clinic=clinic)
    return repr((report.to_json(), report.findings, report.claim_lines, report.units))


def _clear(catalog: ReferenceCatalog, note: dict[str, Any]) -> None:
    context_module._units_for.cache_clear()
    clear_price_caches()
    prices.clear_memos()
    prices.seed_prices(catalog.snapshot(note["coverage"]["payer"], encounter_from_dict(note).date_of_service)).clear()


def test_reports_with_the_caches_warm_are_those_made_afresh() -> None:
    catalog = default_catalog()
    notes = _notes(400, sorted(catalog.payers()), seed=5)
    fresh = []
    for note, clinic in notes:
        _clear(catalog, note)
        fresh.append(_report(catalog, note, clinic))
    warm = [_report(catalog, note, clinic) for note, clinic in notes]
    again = [_report(catalog, note, clinic) for note, clinic in notes]
    assert warm == fresh
    assert again == fresh
    assert any("MODIFIER_KX_MISSING" in report for report in fresh)  # the threshold priced visits
    assert any("Medicare PFS" in report for report in fresh)
    assert any("seed guide" in report for report in fresh)
