"""Collects tests/rule_cases/**/*.yaml: each case builds an encounter from a scenario plus changes,
runs the engine, and checks that the named rule fires (with the given attributes) or stays quiet.

A file looks like::

    rule: TRACTION_FORCE_MISSING
    cases:
      - name: Mechanical traction without a force is an error
        scenario: medicare-lumbar-clean        # tests/scenarios/<name>.json
        change: {services.0.traction.force_lbs: null}
        parameters: {traction.minimum_minutes: 20}   # optional: values for this case only
        ptp: [["97140", "97530", 1]]                  # optional: code-pair edits for this case only
        fires: {severity: error, service: 0, field: services[0].traction.force_lbs}
      - name: A note that records the force raises nothing
        scenario: medicare-lumbar-clean
        quiet: true
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from ptbill.domain.dates import DateRange
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.reference.catalog import ReferenceCatalog, default_catalog
from ptbill.reference.ncci import PtpEdit, PtpTable
from ptbill.rules.engine import check_encounter

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
DELETE = "$delete"


@cache
def _scenario(name: str) -> dict[str, Any]:
    return json.loads((SCENARIOS / f"{name}.json").read_text(encoding="utf-8"))


def apply_change(document: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.0.c`` to value; an index equal to the list's length appends; ``$delete`` removes."""
    parts = path.split(".")
    node: Any = document
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        index = int(last)
        if value == DELETE:
            del node[index]
        elif index == len(node):
            node.append(value)
        else:
            node[index] = value
    elif value == DELETE:
        node.pop(last, None)
    else:
        node[last] = value


def build_encounter_document(case: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(_scenario(case.get("scenario", "medicare-lumbar-clean")))
    for path, value in (case.get("change") or {}).items():
        apply_change(document, path, value)
    return document


class RuleCaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        rule_id = data["rule"]
        for case in data["cases"]:
            yield RuleCaseItem.from_parent(self, name=case["name"], rule_id=rule_id, case=case)


class RuleCaseError(Exception):
    pass


class RuleCaseItem(pytest.Item):
    def __init__(self, *, rule_id: str, case: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rule_id = rule_id
        self.case = case

    def runtest(self) -> None:
        encounter = encounter_from_dict(build_encounter_document(self.case), self.name)
        catalog = default_catalog()
        if "ptp" in self.case:
            # A case may bring its own code-pair edits: [column 1, column 2, modifier indicator].
            catalog = ReferenceCatalog()
            catalog.use_tables(
                ptp=PtpTable.from_rows(
                    PtpEdit(str(a), str(b), DateRange(encounter.date_of_service), int(i), "rule case", "rule case")
                    for a, b, i in self.case["ptp"]
                )
            )
        report = check_encounter(encounter, catalog, parameter_overrides=self.case.get("parameters"))
        mine = [f for f in report.findings if f.rule == self.rule_id]
        if self.case.get("quiet"):
            if mine:
                raise RuleCaseError(f"{self.rule_id} should stay quiet but fired: {[f.message for f in mine]}")
        else:
            expected = self.case.get("fires") or {}
            matching = [f for f in mine if all(f.to_json().get(key) == value for key, value in expected.items())]
            if not matching:
                raise RuleCaseError(
                    f"{self.rule_id} should fire with {expected}; findings were "
                    f"{[(f.rule, f.severity.value, f.service, f.field) for f in report.findings]}"
                )
        if "verdict" in self.case and report.verdict.value != self.case["verdict"]:
            raise RuleCaseError(f"verdict {report.verdict.value}, expected {self.case['verdict']}")
        if "claim_units" in self.case:
            units = {line.code: line.units for line in report.claim_lines}
            if units != {str(k): v for k, v in self.case["claim_units"].items()}:
                raise RuleCaseError(f"claim units {units}, expected {self.case['claim_units']}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RuleCaseError):
            return f"{self.path.name}: {self.name}\n  {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.rule_id}: {self.name}"
