"""Cost estimates before treatment: what a planned visit or plan of care is expected to cost the patient.

Per code: the expected allowed amount from the payer's schedule, computed exactly as the checks compute
expected payment (``rules.prices``: the clinic's contracted fee schedule, the Medicare PFS by locality with
MPPR, the seed average), times the visits; the patient's share from the coverage's latest active eligibility
answer (271: deductible remaining, coinsurance, copay, with its date), else the cost sharing typed on the coverage
(``pricing.patient_share``: deductible, then coinsurance, then copay, visit by visit); services the payer does
not cover (marked by the user, or paid $0.00 by the payer's schedule) at the clinic's self-pay price list
(the fee schedule ``self-pay``). Without a coverage the patient is self-pay and the estimate is the good-faith
estimate of 45 CFR 149.610 (``estimate_pdf`` prints its required elements).

The estimate is stored with the patient: its lines and arithmetic as JSON, and the PDF as printed (audited).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.vocabulary import PayerType
from ptbill.pricing import FeeSchedule, MedicareFeeSchedule, PricingLine
from ptbill.pricing.installed import InstalledPfs
from ptbill.pricing.patient_share import ORDER, CostSharing, runs, visit_shares
from ptbill.reference.catalog import default_catalog
from ptbill.reference.ncci import open_when_changed
from ptbill.rules.prices import ExpectedPrice, Place, expected_prices, locality_choice, medicare_year_for
from ptbill.services.access import Actor, NotFoundError, owned_row
from ptbill.services.audit import audit
from ptbill.services.eligibility_use import sharing_from_271
from ptbill.services.estimate_pdf import draw_estimate
from ptbill.services.patient_fields import Fields
from ptbill.services.payers import SELF_PAY, clinic_fee_schedule, clinic_layer
from ptbill.services.records import copy_of
from ptbill.storage.tables import ClinicRow, CoverageRow, EstimateRow, PatientRow, PlanOfCareRow

LINES = 6  # rows of codes on the form
MAX_VISITS = 120
ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Estimate:
    id: int
    patient_id: int
    coverage_id: int | None
    plan_of_care_id: int | None
    payer_id: str | None
    self_pay: bool
    first_visit: date
    visits: int
    allowed_total: Decimal
    patient_total: Decimal
    document: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class _Planned:
    code: str
    modifiers: tuple[str, ...]
    units: int
    not_covered: bool


def _read(fields: Fields) -> list[_Planned]:
    planned = []
    for index in range(LINES):
        code = fields.raw(f"code_{index}").upper()
        if not code:
            continue
        if not code.isascii() or not code.isalnum() or len(code) != 5:
            fields.fail(f"code_{index}", "a CPT or HCPCS code: 5 letters or digits (e.g. 97012)")
            continue
        modifiers = tuple(fields.raw(f"modifiers_{index}").upper().replace(",", " ").split())
        if len(modifiers) > 4 or any(len(m) != 2 or not m.isascii() or not m.isalnum() for m in modifiers):
            fields.fail(f"modifiers_{index}", "at most 4 modifiers of 2 letters or digits (e.g. GP KX)")
        units = fields.whole(f"units_{index}", 1, 24) if fields.raw(f"units_{index}") else 1
        not_covered = fields.raw(f"not_covered_{index}") in ("on", "true", "1", "yes")
        if units is not None:
            planned.append(_Planned(code, modifiers, units, not_covered))
    if not planned and not any(f"code_{i}" in fields.problems for i in range(LINES)):
        fields.fail("code_0", "at least one code the visit will bill")
    codes = [p.code for p in planned]
    if len(set(codes)) != len(codes):
        fields.fail("code_0", "each code once: its units are per visit")
    return planned


def _self_pay_price(schedule: FeeSchedule | None, line: _Planned, day: date) -> tuple[Decimal, str] | None:
    found = schedule.amount_for(line.code, line.modifiers, day) if schedule else None
    if found is None:
        return None
    return (found.amount * line.units).quantize(Decimal("0.01")), f"the clinic's self-pay price: {found.explanation}"


def _payer_prices(
    session: Session, clinic: ClinicRow, payer_id: str, lines: list[_Planned], day: date
) -> dict[str, ExpectedPrice]:
    """The same expected payment the checks compute, for the planned lines of one visit."""
    catalog = default_catalog()
    snapshot = catalog.snapshot(payer_id, day)
    layer = clinic_layer(session, clinic.id, payer_id)
    if layer is not None:
        snapshot = snapshot.with_layer(layer)
    schedule = clinic_fee_schedule(session, clinic.id, payer_id)
    if schedule is None and (installed := catalog.fee_schedule(payer_id)):
        schedule = open_when_changed(installed, FeeSchedule.from_csv)
    year, where = None, None
    if snapshot.payer.type is PayerType.MEDICARE:
        pfs = InstalledPfs.at(catalog.installed_dir) if catalog.installed_dir else None
        year = medicare_year_for(snapshot, pfs.schedule if pfs else MedicareFeeSchedule.default(), day)
        if year is not None:
            place = Place(clinic.medicare_locality, clinic.state, clinic.zip)
            where = locality_choice(year, place, pfs.zip_table if pfs else None)
    priced = [PricingLine(p.code, p.units, day, p.modifiers) for p in lines]
    return expected_prices(priced, snapshot, schedule, year, where)


Owned = TypeVar("Owned", CoverageRow, PlanOfCareRow)


def _patients_row(
    session: Session, actor: Actor, fields: Fields, table: type[Owned], patient_id: int, name: str
) -> Owned | None:
    """The patient's coverage or plan the form names by id (none named: None; another's: a problem)."""
    text = fields.raw(name)
    if not text:
        return None
    row_id = fields.whole(name, 1, 2**62)
    row = session.get(table, row_id) if row_id else None
    if row is None or row.clinic_id != actor.clinic_id or row.patient_id != patient_id:
        fields.fail(name, f"not a record of this patient: {text[:20]}")
        return None
    return row


def prepare_estimate(
    session: Session, actor: Actor, patient_id: int, data: Mapping[str, object], *, clock: Clock = SYSTEM_CLOCK
) -> Estimate:
    """Compute, draw and store an estimate from the form's typed text (a bad field: FieldProblemsError)."""
    patient = owned_row(session, actor, PatientRow, patient_id, "patient")
    fields = Fields(data)
    coverage = _patients_row(session, actor, fields, CoverageRow, patient_id, "coverage_id")
    from_271 = sharing_from_271(session, actor, coverage.id) if coverage is not None else None
    if coverage is not None and coverage.cost_sharing_as_of is None and from_271 is None:
        fields.fail("coverage_id", "enter this coverage's cost sharing first (deductible left, coinsurance, copay)")
    plan = _patients_row(session, actor, fields, PlanOfCareRow, patient_id, "plan_of_care_id")
    first_visit = fields.day("first_visit") or (plan.start_date if plan else clock.today())
    if fields.raw("visits"):
        visits = fields.whole("visits", 1, MAX_VISITS)
    else:
        visits = min(plan.visits_per_week * plan.duration_weeks, MAX_VISITS) if plan else 1
    diagnoses_text = fields.text("diagnoses", 200)
    diagnoses = diagnoses_text.replace(",", " ").split() if diagnoses_text else list(plan.diagnoses if plan else [])
    planned = _read(fields)
    fields.done()
    assert visits is not None
    clinic = session.get(ClinicRow, actor.clinic_id)
    assert clinic is not None
    self_pay = coverage is None
    prices = {} if self_pay else _payer_prices(session, clinic, coverage.payer_id, planned, first_visit)  # type: ignore[union-attr]
    own_prices = clinic_fee_schedule(session, clinic.id, SELF_PAY)
    labels = default_catalog().procedure_codes
    lines: list[dict[str, Any]] = []
    covered_visit = uncovered_visit = ZERO
    for index, line in enumerate(planned):
        price = prices.get(line.code)
        covered = not self_pay and not line.not_covered and not (price is not None and price.amount == 0)
        entry: dict[str, Any] = {
            "code": line.code,
            "modifiers": list(line.modifiers),
            "units": line.units,
            "label": labels[line.code].label if line.code in labels else "",
            "covered": covered,
        }
        if covered:
            if price is None:
                fields.fail(
                    f"code_{index}",
                    f"the payer's schedule has no amount for {line.code}: mark it not covered for the self-pay price",
                )
                continue
            entry.update(per_visit=str(price.amount), basis=price.basis)
            covered_visit += price.amount
        else:
            own = _self_pay_price(own_prices, line, first_visit)
            if own is None:
                fields.fail(
                    f"code_{index}",
                    f"no self-pay price for {line.code} on {first_visit}: upload the clinic's self-pay price list "
                    "(the fee schedule of payer id self-pay)",
                )
                continue
            why = (
                "self-pay" if self_pay else ("not covered by the payer" if line.not_covered else "the payer pays $0.00")
            )
            entry.update(per_visit=str(own[0]), basis=f"{why}; {own[1]}")
            uncovered_visit += own[0]
        entry["total"] = str(Decimal(entry["per_visit"]) * visits)
        lines.append(entry)
    fields.done()
    sharing = (
        from_271.sharing
        if from_271
        else CostSharing(
            coverage.deductible_remaining if coverage else None,
            coverage.coinsurance_percent if coverage else None,
            coverage.copay if coverage else None,
        )
    )
    as_of = from_271.as_of if from_271 else (coverage.cost_sharing_as_of if coverage else None)
    shares = visit_shares(covered_visit, visits, sharing) if not self_pay else []
    covered_share = sum((s.patient for s in shares), ZERO)
    document = {
        "lines": lines,
        "covered_per_visit": str(covered_visit),
        "not_covered_per_visit": str(uncovered_visit),
        "cost_sharing": {
            "deductible_remaining": None if sharing.deductible_remaining is None else str(sharing.deductible_remaining),
            "coinsurance_percent": None if sharing.coinsurance_percent is None else str(sharing.coinsurance_percent),
            "copay": None if sharing.copay is None else str(sharing.copay),
            "as_of": as_of.isoformat() if as_of else None,
            "source": from_271.source if from_271 else ("as typed on the coverage" if coverage else None),
            "eligibility_response_id": from_271.answer_id if from_271 else None,
        },
        "order": ORDER,
        "runs": [
            {
                "first": run.first,
                "last": run.last,
                "allowed": str(run.share.allowed),
                "deductible": str(run.share.deductible),
                "coinsurance": str(run.share.coinsurance),
                "copay": str(run.share.copay),
                "patient": str(run.share.patient),
            }
            for run in runs(shares)
        ],
        "covered_patient_share": str(covered_share),
        "not_covered_total": str(uncovered_visit * visits),
        "diagnoses": diagnoses,
        "member_id": coverage.member_id if coverage else None,
        "prepared_on": clock.today().isoformat(),
    }
    allowed_total = covered_visit * visits if not self_pay else uncovered_visit * visits
    patient_total = covered_share + uncovered_visit * visits
    row = EstimateRow(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        coverage_id=coverage.id if coverage else None,
        plan_of_care_id=plan.id if plan else None,
        payer_id=coverage.payer_id if coverage else None,
        self_pay=self_pay,
        first_visit=first_visit,
        visits=visits,
        document=document,
        allowed_total=allowed_total,
        patient_total=patient_total,
        created_by_user_id=actor.user_id,
        created_at=clock.now(),
    )
    payer_name = None
    if coverage is not None:
        info = default_catalog().payer(coverage.payer_id)
        payer_name = info.name if info else coverage.payer_id
    row.pdf = b""  # drawn once the row has its number, which the PDF prints
    session.add(row)
    session.flush()
    row.pdf = draw_estimate(clinic, patient, row, payer_name, clock.now())
    session.flush()
    audit(session, actor, "create", "estimate", str(row.id), f"patient {patient_id}")
    return copy_of(Estimate, row)


def estimates_of(session: Session, actor: Actor, patient_id: int) -> list[Estimate]:
    """The patient's estimates, latest first (audited as a read of the patient's estimates)."""
    owned_row(session, actor, PatientRow, patient_id, "patient")
    audit(session, actor, "read", "estimates", str(patient_id))
    return estimate_records(session, actor, patient_id)


def estimate_records(session: Session, actor: Actor, patient_id: int) -> list[Estimate]:
    """As ``estimates_of`` for a caller that has read (and audited) the patient already."""
    rows = session.scalars(
        select(EstimateRow)
        .where(EstimateRow.clinic_id == actor.clinic_id, EstimateRow.patient_id == patient_id)
        .order_by(EstimateRow.id.desc())
    )
    return [copy_of(Estimate, row) for row in rows]


def estimate_pdf(session: Session, actor: Actor, patient_id: int, estimate_id: int) -> bytes:
    """The stored PDF, exactly as it was printed (audited as an export)."""
    row = owned_row(session, actor, EstimateRow, estimate_id, "estimate")
    if row.patient_id != patient_id:
        raise NotFoundError(f"estimate {estimate_id} of patient {patient_id} not found")
    audit(session, actor, "export", "estimate", str(row.id), f"patient {patient_id} pdf")
    return row.pdf
