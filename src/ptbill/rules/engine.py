"""Runs every check in force on the date of service and plans the claim lines.

The same engine serves the command line, the API and the web pages; nothing checks a note elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ptbill import __version__
from ptbill.domain.chart import CertifiedPlan, NoteSignatures
from ptbill.domain.claim_line import MAX_DIAGNOSIS_POINTERS, ClaimLine
from ptbill.domain.encounter import AdvanceBeneficiaryNotice, Encounter, Service
from ptbill.domain.finding import Finding, Severity, Verdict, verdict_of
from ptbill.domain.same_day import SameDayService
from ptbill.domain.values import value
from ptbill.domain.vocabulary import PayerType
from ptbill.pricing import MedicareFeeSchedule
from ptbill.reference.catalog import ReferenceCatalog, Snapshot, default_catalog
from ptbill.reference.modifiers import ModifierCodeSet
from ptbill.reference.ncci import open_when_changed
from ptbill.reference.parameters import ParameterLayer
from ptbill.rules import checks  # noqa: F401  (importing registers every check)
from ptbill.rules.checks.abn import liability_modifier
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import EVERY_FACT, Hit, Rule, in_words, note_shape, rules_in_force, rules_period
from ptbill.units import UnitResult

if TYPE_CHECKING:  # the app hands these over; a check of a note alone never loads their modules
    from ptbill.domain.eligibility import EligibilityOnFile
    from ptbill.pricing.fee_schedules import FeeSchedule

RULESET_VERSION = __version__
FALLBACK_PAYER = "commercial-default"


@value  # frozen to mypy, a plain slots dataclass when made (``domain.values``)
class CheckReport:
    encounter_id: str
    verdict: Verdict
    findings: tuple[Finding, ...]
    claim_lines: tuple[ClaimLine, ...]
    units: UnitResult
    payer_id: str
    ruleset_version: str = RULESET_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "encounter": self.encounter_id,
            "verdict": self.verdict.value,
            "findings": [f.to_json() for f in self.findings],
            "claim_lines": [line.to_json() for line in self.claim_lines],
            "ruleset_version": self.ruleset_version,
        }


def build_context(
    encounter: Encounter,
    catalog: ReferenceCatalog,
    parameter_overrides: Mapping[str, Any] | None = None,
    clinic_layer: ParameterLayer | None = None,
    fee_schedule: FeeSchedule | None = None,
    clinic: ClinicContext | None = None,
    today: date | None = None,
    same_day: Sequence[SameDayService] = (),
    abns: Sequence[AdvanceBeneficiaryNotice] = (),
    clinic_layer_is_kept: bool = False,
) -> CheckContext:
    payer_known = catalog.payer(encounter.coverage.payer) is not None
    # With an unknown payer the checks still run against the generic commercial rules, so the
    # note's own problems are reported together with PAYER_UNKNOWN.
    payer_id = encounter.coverage.payer if payer_known else FALLBACK_PAYER
    snapshot: Snapshot = catalog.snapshot(payer_id, encounter.date_of_service)
    if clinic_layer is not None:
        snapshot = snapshot.with_layer(clinic_layer, share=clinic_layer_is_kept)
    if parameter_overrides:
        snapshot = snapshot.with_overrides(parameter_overrides)
    icd_version, icd_exact = catalog.icd10_for(encounter.date_of_service)
    if fee_schedule is None:
        installed = catalog.fee_schedule(payer_id)
        if installed:
            from ptbill.pricing.fee_schedules import FeeSchedule  # here: most payers have none installed

            fee_schedule = open_when_changed(installed, FeeSchedule.from_csv)
    pfs = None
    if catalog.installed_dir:
        from ptbill.pricing.installed import InstalledPfs

        pfs = InstalledPfs.at(catalog.installed_dir)
    clinic = clinic or _NO_CLINIC
    # Positional, in the dataclass's field order (``tests/unit/rules/test_engine_context.py`` holds it to the same
    # context made with keywords): a class called with keywords gathers them into a dict and unpacks it again,
    # about a quarter of this function's cost.
    return CheckContext(
        encounter,
        snapshot,
        catalog.procedure_codes,  # codes
        icd_version,  # icd10
        icd_exact,  # icd10_exact
        catalog.ptp_table(),  # ptp
        catalog.mue_table(),  # mue
        payer_known,
        snapshot.payer.type is PayerType.MEDICARE,  # is_medicare
        pfs.schedule if pfs else MedicareFeeSchedule.default(),  # medicare_schedule
        fee_schedule,
        clinic.medicare_locality,
        pfs.zip_table if pfs else None,  # zip_table
        clinic.therapy_claims_this_year,
        ModifierCodeSet.default(),  # modifiers
        today,
        tuple(same_day),
        tuple(abns),
        clinic.eligibility,
        clinic.visits_this_week,
        clinic.certified_plan,
        clinic.signatures,
    )


@dataclass(frozen=True, slots=True)
class ClinicContext:
    """What the app knows beyond the note: the clinic's own MAC locality, the therapy amount of the
    patient's claims ptbill built this calendar year before this visit (None: ptbill cannot see them), the
    coverage's eligibility on file (None: the clinic does not verify eligibility in ptbill), and the chart's
    plan-of-care facts (``domain.chart``: the patient's other signed visits of the week, the certified plan, the
    note's signatures; None: not seen)."""

    medicare_locality: str | None = None
    therapy_claims_this_year: Decimal | None = None
    eligibility: EligibilityOnFile | None = None
    visits_this_week: tuple[date, ...] | None = None
    certified_plan: CertifiedPlan | None = None
    signatures: NoteSignatures | None = None


# What a check of a note alone knows beyond it: nothing (one shared value, as a ClinicContext never changes).
_NO_CLINIC = ClinicContext()


def check_encounter(
    encounter: Encounter,
    catalog: ReferenceCatalog | None = None,
    parameter_overrides: Mapping[str, Any] | None = None,
    clinic_layer: ParameterLayer | None = None,
    fee_schedule: FeeSchedule | None = None,
    clinic: ClinicContext | None = None,
    *,
    today: date | None = None,
    same_day: Sequence[SameDayService] = (),
    abns: Sequence[AdvanceBeneficiaryNotice] = (),
    clinic_layer_is_kept: bool = False,
    every_rule: bool = False,
    blocking_only: bool = False,
) -> CheckReport:
    """Every check in force on the date of service, the verdict, and the planned claim lines.

    ``clinic_layer`` holds the clinic's own dated changes to the payer's parameters; it is read first.
    ``fee_schedule`` is the clinic's contracted rates for the payer, when they are not an installed file.
    ``clinic`` carries the clinic's locality and the patient's therapy amount from the clinic's own claims.
    ``today`` comes from the caller's clock (a note dated after it is refused); ``same_day`` holds the
    patient's services in the clinic's other notes of the same day (duplicates, per-day unit limits);
    ``abns`` the patient's signed ABNs on file (GA, ABN_MISSING), beside the note's own ``abn``.
    ``clinic_layer_is_kept``: the layer is never changed after it was made and is handed in again for later
    notes (``services.clinic_config``), so the snapshots with it share their resolved values and rule plan.
    ``every_rule`` runs every rule in force, also those the note's shape says cannot fire (the differential
    tests compare both ways; the report is the same).
    ``blocking_only`` runs only the checks that can block a claim (an error on the payer's day, or a check whose
    hits set their own severity, ``rises``): the report's errors and claim lines are the full report's, but its
    warnings and infos are not all there, so its verdict is only blocked or not. For the claim path, which asks
    no more (``services.claims``).
    """
    catalog = catalog or default_catalog()
    context = build_context(
        encounter,
        catalog,
        parameter_overrides,
        clinic_layer,
        fee_schedule,
        clinic,
        today=today,
        same_day=same_day,
        abns=abns,
        clinic_layer_is_kept=clinic_layer_is_kept,
    )
    findings = run_checks(context, EVERY_FACT if every_rule else note_shape(context), blocking_only)
    if len(findings) > 1:
        findings.sort(key=_report_order)
    # Positional, as the context above: a class called with keywords gathers them into a dict first.
    return CheckReport(
        encounter.id,  # encounter_id
        verdict_of(findings),
        tuple(findings),
        tuple(plan_claim_lines(context)),  # claim_lines
        context.units,
        context.snapshot.payer.id,  # payer_id
    )


_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _report_order(finding: Finding) -> tuple[bool, int, int]:
    """The report's order: the whole note's findings first, then by line, the worst first on each (a stable sort
    keeps the checks' order within a severity)."""
    return finding.service is not None, finding.service or 0, _SEVERITY_ORDER[finding.severity]


_PLAN = "rules.plan"
_SHAPE_PLAN = "rules.plan.shape"
_BLOCKING_PLAN = "rules.plan.shape.blocking"


def run_checks(context: CheckContext, shape: int, blocking_only: bool = False) -> list[Finding]:
    """The findings of every rule of the snapshot's plan that can fire on a note of this shape (``note_shape``).

    The plan per (rules' period, shape) is worked out once per snapshot: a rule whose declared facts (``needs``)
    the note lacks is left out, since its check would return at once with nothing. ``blocking_only`` leaves out
    too the rules that cannot report an error (see ``check_encounter``)."""
    snapshot = context.snapshot
    period = rules_period(snapshot.day)

    def shaped() -> tuple[tuple[Rule, Severity], ...]:
        full = snapshot.derived((_PLAN, period), lambda: rule_plan(snapshot))
        return tuple(step for step in full if step[0].can_fire(shape))

    def blocking() -> tuple[tuple[Rule, Severity], ...]:
        every = snapshot.derived((_SHAPE_PLAN, period, shape), shaped)
        return tuple(step for step in every if step[1] is Severity.ERROR or step[0].rises)

    if blocking_only:
        plan = snapshot.derived((_BLOCKING_PLAN, period, shape), blocking)
    else:
        plan = snapshot.derived((_SHAPE_PLAN, period, shape), shaped)
    findings: list[Finding] = []
    append = findings.append
    for registered, severity in plan:
        # Most checks find nothing on most notes: their hits are iterated as they come, not first gathered into a
        # list per check; only a per-visit check's hits are gathered, to merge them into one.
        hits = registered.check(context)
        if registered.per_visit:
            hits = [*hits]
            if len(hits) > 1:
                hits = [_one_per_visit(hits, context)]
        for hit in hits:
            append(_finding(registered, severity, hit))
    return findings


def rule_plan(snapshot: Snapshot) -> tuple[tuple[Rule, Severity], ...]:
    """The rules in force on the snapshot's day with the severity its payer gives each, the rules it turns off
    left out: worked out once per snapshot (``Snapshot.derived``, keyed by the rules' own period too, since
    snapshots of days that resolve alike share it), not once per rule per note."""
    plan = []
    for registered in rules_in_force(snapshot.day):
        severity = snapshot.severity(registered.id, registered.severity)
        if severity is not None:
            plan.append((registered, severity))
    return tuple(plan)


def _finding(registered: Rule, severity: Severity, hit: Hit) -> Finding:
    # Positional: a finding is made for about one check in fifteen, and keywords cost a fifth of its making.
    return Finding(
        registered.id,
        hit.severity or severity,
        hit.message,
        hit.fix or registered.fix,
        hit.reference or registered.source,
        hit.service,
        hit.field,
        hit.services,
        hit.detail,
    )


def _one_per_visit(hits: Iterable[Hit], context: CheckContext) -> Hit:
    """A visit's problem that a check reported line by line, as one hit naming the other lines too."""
    hits = list(hits)
    first = hits[0]
    lines = [i for hit in hits for i in (hit.services or ((hit.service,) if hit.service is not None else ()))]
    lines = list(dict.fromkeys(lines))
    others = [context.services[i].code for i in lines if i != first.service]
    message = first.message
    if others and any(hit.message != first.message for hit in hits):
        message += f" The same applies to {in_words(list(dict.fromkeys(others)))}."
    worst = min((hit.severity for hit in hits if hit.severity), key=lambda s: _SEVERITY_ORDER[s.value], default=None)
    return Hit(
        message,
        first.service,
        first.field,
        reference=first.reference,
        fix=first.fix,
        severity=worst,
        services=tuple(lines) if len(lines) > 1 else (),
        detail=first.detail,
    )


def plan_claim_lines(context: CheckContext) -> list[ClaimLine]:
    """One line per code, with the calculator's units; codes that earn no unit stay off the claim. A Medicare
    line gets the liability modifier its ABN standing calls for (GA, GZ or GY: ``checks.abn``)."""
    lines: list[ClaimLine] = []
    append = lines.append
    diagnoses = len(context.encounter.diagnoses)
    services, computed = context.encounter.services, context.units.units
    medicare = context.is_medicare
    for group in context.groups:
        code, indexes = group.code, group.service_indexes
        units = computed.get(code, 0)
        if units == 0:
            continue
        modifiers, pointers = _merged(services, indexes, diagnoses)
        # Only a Medicare line takes a liability modifier (``liability_modifier`` answers None for the others).
        liability = liability_modifier(context, code, indexes, modifiers) if medicare else None
        if liability is not None:
            modifiers += (liability,)
        price = context.line_prices.get(code)  # read only once a line earns a unit: a note of none prices nothing
        # Positional, in ``ClaimLine``'s field order (keywords cost a fifth of a line's making, as for a finding).
        if price is None:
            append(ClaimLine(code, modifiers, units, pointers, tuple(indexes)))
        else:
            append(
                ClaimLine(
                    code,
                    modifiers,
                    units,
                    pointers,
                    tuple(indexes),
                    price.amount,
                    price.basis,
                    price.label,
                    price.estimate,
                )
            )
    return lines


def _merged(
    services: Sequence[Service], indexes: Sequence[int], diagnoses: int
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """A line's modifiers and diagnosis pointers from the services of its code, in order: a later service adds only
    those the earlier ones lack; a pointer past the note's diagnoses is left out, and at most
    ``MAX_DIAGNOSIS_POINTERS`` are kept. A code is mostly on one service, whose own tuples then serve as they are
    (``tuple`` of a tuple is that tuple, not a copy)."""
    if len(indexes) == 1:
        service = services[indexes[0]]
        pointers = tuple(service.diagnosis_pointers)
        if not all(1 <= p <= diagnoses for p in pointers):
            pointers = tuple(p for p in pointers if 1 <= p <= diagnoses)
        return tuple(service.modifiers), pointers[:MAX_DIAGNOSIS_POINTERS]
    modifiers: list[str] = []
    kept: list[int] = []
    for index in indexes:
        service = services[index]
        modifiers += [m for m in service.modifiers if m not in modifiers]
        kept += [p for p in service.diagnosis_pointers if 1 <= p <= diagnoses and p not in kept]
    return tuple(modifiers), tuple(kept[:MAX_DIAGNOSIS_POINTERS])
