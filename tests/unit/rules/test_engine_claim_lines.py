"""A claim line's modifiers and diagnosis pointers, from the one service of its code or from several."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from ptbill.domain.claim_line import MAX_DIAGNOSIS_POINTERS
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.reference.catalog import default_catalog
from ptbill.rules.engine import check_encounter

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "commercial-lumbar-clean.json"


def _lines(document: dict[str, Any]) -> dict[str, tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]]:
    report = check_encounter(encounter_from_dict(document, "claim-lines"), default_catalog())
    return {line.code: (line.modifiers, line.diagnosis_pointers, line.service_indexes) for line in report.claim_lines}


def _document() -> dict[str, Any]:
    document = json.loads(SCENARIO.read_text(encoding="utf-8"))
    document["diagnoses"] = ["M51.16", "M54.16", "M54.50", "M48.061", "M47.816"]
    return document


def test_one_service_keeps_its_modifiers_and_the_pointers_to_the_note_s_diagnoses_at_most_four() -> None:
    document = _document()
    service = document["services"][1]
    service["modifiers"] = ["GP", "59"]
    service["diagnosis_pointers"] = [2, 9, 1, 3, 4, 5]  # 9 points past the five diagnoses
    modifiers, pointers, indexes = _lines(document)[service["code"]]
    assert modifiers == ("GP", "59")
    assert pointers == (2, 1, 3, 4)  # the first MAX_DIAGNOSIS_POINTERS that point at a diagnosis
    assert len(pointers) == MAX_DIAGNOSIS_POINTERS
    assert indexes == (1,)


def test_services_of_one_code_add_only_the_modifiers_and_pointers_the_earlier_lack() -> None:
    document = _document()
    first = document["services"][1]
    first["modifiers"], first["diagnosis_pointers"] = ["GP"], [2, 7]
    second = copy.deepcopy(first)
    second["modifiers"], second["diagnosis_pointers"] = ["59", "GP"], [1, 2, 3, 4]
    document["services"].append(second)
    modifiers, pointers, indexes = _lines(document)[first["code"]]
    assert modifiers == ("GP", "59")
    assert pointers == (2, 1, 3, 4)
    assert indexes == (1, len(document["services"]) - 1)
