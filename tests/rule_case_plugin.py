"""Collects tests/rule_cases/**/*.yaml: each case builds an encounter from a scenario plus changes,
runs the engine, and checks that the named rule fires (with the given attributes) or stays quiet.

A file looks like::

    rule: TRACTION_FORCE_MISSING
    given: {scenario: medicare-lumbar-clean, payer: ca-medicare-south, date_of_service: 2026-03-02}
    cases:
      - name: Mechanical traction without a force is an error
        change: {services.0.traction.force_lbs: null}
        parameters: {traction.minimum_minutes: 20}   # optional: values for this case only
        ptp: [["97140", "97530", 1]]                  # optional: code-pair edits for this case only
        mue: [["97110", 4, 1]]                        # optional: an MUE table (code, units, MAI) instead
        today: 2026-03-02                             # optional: the clock's day (future dates are refused)
        same_day: [{note: N-2, code: "97012", units: 1, provider: "1093817462"}]  # the patient's other notes
        visits_this_week: [2026-03-02, 2026-03-03]   # optional: days of the patient's other signed notes that week
        certified_plan: {source: "note N-1", start_date: 2026-02-20, certified_date: 2026-02-25}  # from the chart
        signatures: {state: signed, cosigned_by: null, clinic_requires_cosign: true}  # the stored note's
        fires: {severity: error, service: 0, field: services[0].traction.force_lbs}
      - name: A commercial plan's note that records the force raises nothing
        scenario: commercial-lumbar-clean             # its own scenario: then its own payer and date too
        payer: aetna
        date_of_service: 2026-03-02
        quiet: true

Every case runs for the payer and date of service written in it or in the file's ``given`` line:
the scenario's own payer and date are replaced, so nothing a reader cannot see decides the case.
The file is checked against the schema below when it is collected: an unknown key (``fire:``,
``verdikt:``), a case that says neither ``fires`` nor ``quiet: true``, or a parameter value its
declaration refuses fails the suite, naming the file, the case and the key.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import fields
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import pytest
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ptbill.domain.chart import CertifiedPlan, NoteSignatures
from ptbill.domain.dates import DateRange
from ptbill.domain.eligibility import EligibilityOnFile
from ptbill.domain.encounter import AdvanceBeneficiaryNotice
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.encounter_models import validator_of
from ptbill.domain.errors import ReferenceDataError
from ptbill.domain.same_day import SameDayService
from ptbill.reference.catalog import ReferenceCatalog, default_catalog
from ptbill.reference.declarations import InvalidValueError, UnknownParameterError, declared
from ptbill.reference.mue import MueTable, MueValue
from ptbill.reference.ncci import PtpEdit, PtpTable
from ptbill.reference.parameters import ClinicChange, Confidence, clinic_layer_from
from ptbill.reference.strict_yaml import load_strict_yaml
from ptbill.rules.engine import ClinicContext, check_encounter

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
DELETE = "$delete"
# Set with the case's own keys, where a reader sees them, never inside ``change``.
VISIBLE = {"coverage.payer": "payer", "date_of_service": "date_of_service"}
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Given(_Strict):
    """What every case of the file starts from, unless it says otherwise."""

    scenario: Text
    payer: Text
    date_of_service: date


class Fires(_Strict):
    """The attributes the finding must have (any of a finding's JSON keys but its rule)."""

    severity: Literal["error", "warning", "info"] | None = None
    service: int | None = None
    field: str | None = None
    services: list[int] | None = None  # every line one finding names (once per visit)
    message: str | None = None
    fix: str | None = None
    detail: str | None = None  # what only the biller needs (a command, a claim segment)
    reference: str | None = None


class SameDay(_Strict):
    """A line of another note of the same patient and day, as the app would find it."""

    note: Text
    code: Text
    units: int = Field(ge=0)
    provider: Text  # the NPI the other note's claim names as rendering provider
    modifiers: list[str] = []


class Case(_Strict):
    name: Text
    scenario: Text | None = None
    payer: Text | None = None
    date_of_service: date | None = None
    change: dict[str, Any] = {}
    parameters: dict[str, Any] = {}  # what-if values, checked against the parameter declarations
    clinic_settings: dict[str, Any] = {}  # values as a clinic stored them, deliberately not checked
    ptp: list[tuple[str, str, int]] | None = None
    mue: list[tuple[str, int, int]] | None = None
    today: date | None = None
    same_day: list[SameDay] = []
    abns_on_file: list[dict[str, Any]] = []  # the patient's signed ABNs, as the app passes them (format 1's abn shape)
    eligibility_on_file: dict[str, Any] | None = None  # the coverage's latest 271 figures, as the app passes them
    visits_this_week: list[date] | None = None  # days of the patient's other signed notes in the visit's week
    certified_plan: dict[str, Any] | None = None  # the plan as certified, as the app finds it in the chart
    signatures: dict[str, Any] | None = None  # the stored note's state and co-signature (domain.chart)
    fires: Fires | None = None
    quiet: Literal[True] | None = None
    verdict: Literal["ready", "needs_attention", "blocked"] | None = None
    claim_units: dict[str, int] | None = None
    claim_modifiers: dict[str, list[str]] | None = None  # the planned lines' modifiers, by code

    @field_validator("change")
    @classmethod
    def _payer_and_date_stay_visible(cls, change: dict[str, Any]) -> dict[str, Any]:
        for path, key in VISIBLE.items():
            if path in change:
                raise ValueError(f"set {path} with the case's {key}: key, not inside change")
        return change

    @field_validator("certified_plan", "signatures")
    @classmethod
    def _chart_facts_are_known(cls, value: dict[str, Any] | None, info: ValidationInfo) -> dict[str, Any] | None:
        if value is None:
            return value
        kind = CertifiedPlan if info.field_name == "certified_plan" else NoteSignatures
        unknown = sorted(set(value) - {f.name for f in fields(kind)})
        if unknown:
            raise ValueError(f"unknown key {', '.join(unknown)}")
        TypeAdapter(kind).validate_python(value)
        return value

    @field_validator("parameters")
    @classmethod
    def _parameters_are_declared(cls, parameters: dict[str, Any]) -> dict[str, Any]:
        for name, value in parameters.items():
            try:
                declared(name).parse(value)
            except UnknownParameterError as exc:
                raise ValueError(str(exc)) from None
            except InvalidValueError as exc:
                raise ValueError(f"{name} {exc}") from None
        return parameters

    @model_validator(mode="after")
    def _one_answer_and_a_visible_payer(self) -> Self:
        if (self.fires is None) == (self.quiet is None):
            raise ValueError("give either fires or quiet: true")
        if self.scenario is not None and (self.payer is None or self.date_of_service is None):
            raise ValueError("a case with its own scenario states its payer and date_of_service too")
        return self


class CaseFile(_Strict):
    rule: Text
    given: Given
    cases: list[Case] = Field(min_length=1)


def _where(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def read_case_file(path: Path) -> CaseFile:
    """The file checked against the schema; ValueError with one line per problem, naming case and key."""
    data = load_strict_yaml(path.read_text(encoding="utf-8"), str(path))
    try:
        return CaseFile.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            message = {"extra_forbidden": "unknown key", "missing": "required"}.get(
                error["type"], str(error["msg"]).removeprefix("Value error, ")
            )
            lines.append(f"{path.name}: {_where(error['loc'])}: {message}")
        raise ValueError("\n".join(lines)) from None


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


def _clinic_context(case: Case) -> ClinicContext | None:
    """What the app would hand the engine beyond the note, from the case's keys (None: a single file's check)."""
    given = (case.eligibility_on_file, case.visits_this_week, case.certified_plan, case.signatures)
    if all(value is None for value in given):
        return None
    eligibility, week, plan, signatures = given
    return ClinicContext(
        eligibility=TypeAdapter(EligibilityOnFile).validate_python(eligibility) if eligibility is not None else None,
        visits_this_week=tuple(week) if week is not None else None,
        certified_plan=TypeAdapter(CertifiedPlan).validate_python(plan) if plan is not None else None,
        signatures=TypeAdapter(NoteSignatures).validate_python(signatures) if signatures is not None else None,
    )


class RuleCaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            data = read_case_file(self.path)
        except (ValueError, ReferenceDataError) as exc:  # the schema's lines, or the YAML's own error and line
            raise self.CollectError(str(exc)) from None
        for case in data.cases:
            yield RuleCaseItem.from_parent(self, name=case.name, rule_id=data.rule, case=case, given=data.given)


class RuleCaseError(Exception):
    pass


class RuleCaseItem(pytest.Item):
    def __init__(self, *, rule_id: str, case: Case, given: Given, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rule_id = rule_id
        self.case = case
        self.scenario = case.scenario or given.scenario
        self.payer = case.payer or given.payer
        self.date_of_service = case.date_of_service or given.date_of_service

    def document(self) -> dict[str, Any]:
        document = copy.deepcopy(_scenario(self.scenario))
        document["coverage"]["payer"] = self.payer
        document["date_of_service"] = self.date_of_service.isoformat()
        for path, value in self.case.change.items():
            apply_change(document, path, value)
        return document

    def runtest(self) -> None:
        case = self.case
        encounter = encounter_from_dict(self.document(), self.name)
        catalog = default_catalog()
        if case.ptp is not None or case.mue is not None:
            # A case may bring its own code-pair edits ([column 1, column 2, modifier indicator]) and
            # medically unlikely edits ([code, units, adjudication indicator]).
            catalog = ReferenceCatalog()
            catalog.use_tables(
                ptp=PtpTable.from_rows(
                    PtpEdit(a, b, DateRange(encounter.date_of_service), i, "rule case", "rule case")
                    for a, b, i in case.ptp
                )
                if case.ptp is not None
                else None,
                mue=MueTable.from_rows(
                    (MueValue(c, units, mai, f"MAI {mai}", "rule case", "rule case") for c, units, mai in case.mue),
                    quarter=encounter.date_of_service,
                )
                if case.mue is not None
                else None,
            )
        stored = [
            ClinicChange(name, value, encounter.date_of_service, "rule case", Confidence.CLINIC, self.date_of_service)
            for name, value in case.clinic_settings.items()
        ]
        inputs: dict[str, Any] = {
            "parameter_overrides": case.parameters,
            "clinic_layer": clinic_layer_from("clinic:rule case", stored) if stored else None,
            "today": case.today,
            "same_day": [
                SameDayService(line.note, line.code, line.units, line.provider, tuple(line.modifiers))
                for line in case.same_day
            ],
            "abns": [validator_of(AdvanceBeneficiaryNotice).validate_python(abn) for abn in case.abns_on_file],
            "clinic": _clinic_context(case),
        }
        report = check_encounter(encounter, catalog, **inputs)
        # The engine skips the rules whose declared facts the note lacks (registry.FACTS): the report must be the
        # one every rule in force gives, so a rule that declares a fact it can fire without fails here.
        every = check_encounter(encounter, catalog, **inputs, every_rule=True)
        if report.to_json() != every.to_json():
            raise RuleCaseError(
                f"the planned run differs from every rule's: {[f.rule for f in report.findings]} against "
                f"{[f.rule for f in every.findings]}"
            )
        # The claim path runs only the checks that can block (blocking_only): the same errors and claim lines.
        blocking = check_encounter(encounter, catalog, **inputs, blocking_only=True)
        if _errors(blocking) != _errors(report) or blocking.claim_lines != report.claim_lines:
            raise RuleCaseError(
                f"the claim path's run differs in its errors or claim lines: {_errors(blocking)} against "
                f"{_errors(report)}"
            )
        mine = [f for f in report.findings if f.rule == self.rule_id]
        if case.quiet:
            if mine:
                raise RuleCaseError(f"{self.rule_id} should stay quiet but fired: {[f.message for f in mine]}")
        else:
            expected = case.fires.model_dump(exclude_unset=True) if case.fires else {}
            matching = [f for f in mine if all(f.to_json().get(key) == value for key, value in expected.items())]
            if not matching:
                raise RuleCaseError(
                    f"{self.rule_id} should fire with {expected}; findings were "
                    f"{[(f.rule, f.severity.value, f.service, f.field) for f in report.findings]}"
                )
        if case.verdict is not None and report.verdict.value != case.verdict:
            raise RuleCaseError(f"verdict {report.verdict.value}, expected {case.verdict}")
        if case.claim_units is not None:
            units = {line.code: line.units for line in report.claim_lines}
            if units != case.claim_units:
                raise RuleCaseError(f"claim units {units}, expected {case.claim_units}")
        if case.claim_modifiers is not None:
            modifiers = {line.code: list(line.modifiers) for line in report.claim_lines}
            if modifiers != case.claim_modifiers:
                raise RuleCaseError(f"claim modifiers {modifiers}, expected {case.claim_modifiers}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RuleCaseError):
            return f"{self.path.name}: {self.name} ({self._inputs()})\n  {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def _inputs(self) -> str:
        return f"scenario {self.scenario}, payer {self.payer}, date of service {self.date_of_service}"

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.rule_id}: {self.name} ({self._inputs()})"


def _errors(report: Any) -> list[dict[str, Any]]:
    """A report's errors as the claim path reads them (the rule, its message and where)."""
    return [f.to_json() for f in report.findings if f.severity.value == "error"]
