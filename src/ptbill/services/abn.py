"""Advance Beneficiary Notices (form CMS-R-131): prepared for a Medicare patient before care Medicare may not
pay for, signed once with the option the patient chose, and read by every check of the patient's notes.

- An ABN lists the services (code, the clinic's own plain-language label, never a CPT descriptor, and the
  estimated cost, prefilled from the Medicare amount where ptbill can price it), the reason Medicare may not
  pay, and the day it was given. The notifier, the patient's name and the ID number (the chart number: a
  Medicare number must not appear on the notice) are copied as printed, so the PDF drawn again later is the
  same notice.
- The day signed and the option are recorded once, together, by compare-and-set on an unsigned row; a signed
  notice is never changed: a new one replaces it.
- ``signed_abns_for`` gives the engine the patient's signed notices (``AdvanceBeneficiaryNotice``): an option-1
  notice listing a code makes the Medicare line GA (``rules.checks.abn``).

ABNs are for Original Medicare only (not Medicare Advantage): a patient without a Medicare coverage gets none.
Sources: Medicare Claims Processing Manual (Pub. 100-04) ch.30 §50; the form and its instructions on the CMS
Beneficiary Notices Initiative page (OMB 0938-0566).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.encounter import AbnOption, AdvanceBeneficiaryNotice, Encounter
from ptbill.domain.vocabulary import BILLERS, CLINICIANS, PayerType
from ptbill.pricing import NATIONAL_LOCALITY_KEY, MedicareFeeSchedule, NotPricedError
from ptbill.reference.catalog import default_catalog
from ptbill.services.access import Actor, ConflictError, NotFoundError, owned_row, require_role
from ptbill.services.audit import ReadAudits, audit
from ptbill.services.patient_fields import FieldProblemsError, parse_day
from ptbill.services.records import copy_of
from ptbill.storage.tables import AbnRow, AbnServiceRow, ClinicRow, CoverageRow, PatientRow

PREPARERS = BILLERS | CLINICIANS
MAX_SERVICES = 8
MAX_COST = Decimal("99999.99")
CENTS = Decimal("0.01")
# The reason Medicare may not pay, in words a patient reads (box E); "other" is the clinic's own words.
REASONS: dict[str, str] = {
    "decompression": "Medicare does not pay for spinal decompression (vertebral axial decompression) for any "
    "condition: national coverage decision 160.16.",
    "above_threshold": "Your therapy this year is above Medicare's yearly amount. Medicare may decide that more "
    "therapy is not medically necessary for you.",
    "maintenance": "Medicare pays for therapy only when it needs a therapist's skill. Medicare may decide this "
    "care to keep your current condition does not.",
    "other": "",
}
OPTIONS = {
    1: "Option 1: wants the care; bill Medicare; pays if Medicare does not",
    2: "Option 2: wants the care; do not bill Medicare; pays now",
    3: "Option 3: does not want the care",
}


@dataclass(frozen=True, slots=True)
class AbnService:
    code: str
    label: str
    estimated_cost: Decimal


@dataclass(frozen=True, slots=True)
class Abn:
    id: int
    patient_id: int
    form_version: str
    notifier: str
    patient_name: str
    identification: str
    reason_kind: str
    reason_text: str
    additional_info: str | None
    given_on: date
    signed_on: date | None
    option: int | None
    created_by_user_id: int | None
    signature_recorded_by_user_id: int | None
    signature_recorded_at: datetime | None
    created_at: datetime
    services: tuple[AbnService, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.services)

    @property
    def total(self) -> Decimal:
        return sum((s.estimated_cost for s in self.services), Decimal("0.00"))

    @property
    def option_words(self) -> str:
        return OPTIONS.get(self.option or 0, "not signed yet")


def abn_record(row: AbnRow) -> Abn:
    return copy_of(Abn, row, services=tuple(copy_of(AbnService, s) for s in row.services))


def medicare_coverage(session: Session, clinic_id: int, patient_id: int) -> CoverageRow | None:
    """The patient's active Original Medicare coverage, if any (an ABN is for Original Medicare only)."""
    catalog = default_catalog()
    rows = session.scalars(
        select(CoverageRow)
        .where(CoverageRow.clinic_id == clinic_id, CoverageRow.patient_id == patient_id, CoverageRow.active)
        .order_by(CoverageRow.priority, CoverageRow.id)
    )
    for row in rows:
        payer = catalog.payer(row.payer_id)
        if payer is not None and payer.type is PayerType.MEDICARE:
            return row
    return None


def expected_amount(session: Session, clinic_id: int, code: str, day: date) -> Decimal | None:
    """One unit of the code at the Medicare physician fee schedule amount for the clinic's locality on the
    day (the national amount where the clinic has no locality), or None where Medicare prices no such code."""
    clinic = session.get(ClinicRow, clinic_id)
    locality = (clinic.medicare_locality if clinic is not None else None) or NATIONAL_LOCALITY_KEY
    schedule = MedicareFeeSchedule.default()
    year = schedule.schedule_for(day) or schedule.latest
    for key in (locality, NATIONAL_LOCALITY_KEY):
        try:
            amount = year.amount(code, key).amount
        except (NotPricedError, LookupError):
            continue
        return amount or None
    return None


def short_label(code: str) -> str | None:
    """ptbill's own short label of the code (never the CPT descriptor), or None for a code it does not know."""
    info = default_catalog().procedure_codes.get(code)
    return info.label if info is not None else None


def _text(raw: object, limit: int) -> str | None:
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return None
    if len(text) > limit or not text.replace("\n", " ").replace("\r", "").isprintable():
        raise ValueError(f"at most {limit} printable characters")
    return text


def _services(
    session: Session, clinic_id: int, raw: Sequence[Mapping[str, object]], day: date, problems: dict[str, str]
) -> list[AbnService]:
    services: list[AbnService] = []
    if not raw:
        problems["services"] = "list at least one service the notice is for"
    if len(raw) > MAX_SERVICES:
        problems["services"] = f"at most {MAX_SERVICES} services on one notice"
    for index, item in enumerate(raw[:MAX_SERVICES]):
        where = f"services[{index}]"
        code = str(item.get("code") or "").strip().upper()
        if not (len(code) == 5 and code.isascii() and code.isalnum()):
            problems[f"{where}.code"] = "a procedure code: 5 letters or digits, like 97012"
            continue
        try:
            label = _text(item.get("label"), 120) or short_label(code)
        except ValueError as exc:
            problems[f"{where}.label"] = str(exc)
            continue
        if label is None:
            problems[f"{where}.label"] = "say what the service is in plain words (ptbill has no label for this code)"
            continue
        cost_text = str(item.get("estimated_cost") if item.get("estimated_cost") is not None else "").strip()
        cost: Decimal | None
        if not cost_text:
            cost = expected_amount(session, clinic_id, code, day)
            if cost is None:
                problems[f"{where}.estimated_cost"] = "Medicare prices no such code: enter what the patient would pay"
                continue
        else:
            try:
                cost = Decimal(cost_text.removeprefix("$").replace(",", ""))
            except InvalidOperation:
                cost = None
            if cost is None or not cost.is_finite() or cost < 0 or cost > MAX_COST or cost != cost.quantize(CENTS):
                problems[f"{where}.estimated_cost"] = f"an amount in dollars and cents from 0 to {MAX_COST:,}"
                continue
        services.append(AbnService(code, label, cost.quantize(CENTS)))
    codes = [s.code for s in services]
    if len(set(codes)) != len(codes):
        problems["services"] = "list each code once"
    return services


def prepare_abn(
    session: Session,
    actor: Actor,
    patient_id: int,
    services: Sequence[Mapping[str, object]],
    reason_kind: str,
    reason_text: str | None = None,
    additional_info: str | None = None,
    given_on: str | date | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> Abn:
    """A new, unsigned notice for the patient (audited). Every bad field is named at once (FieldProblemsError)."""
    require_role(actor, PREPARERS)
    patient = owned_row(session, actor, PatientRow, patient_id, "patient")
    problems: dict[str, str] = {}
    today = clock.today()
    day = given_on if isinstance(given_on, date) else parse_day(str(given_on).strip()) if given_on else today
    if day is None:
        problems["given_on"] = "a day as YYYY-MM-DD"
    elif day > today:
        problems["given_on"] = f"the day the notice is given, not after today ({today})"
    day = day if day is not None and day <= today else today
    if reason_kind not in REASONS:
        problems["reason_kind"] = f"one of {', '.join(REASONS)}"
    reason: str | None = None
    try:
        reason = _text(reason_text, 500) or REASONS.get(reason_kind) or None
    except ValueError as exc:
        problems["reason_text"] = str(exc)
    if reason is None and "reason_text" not in problems:
        problems["reason_text"] = "say why Medicare may not pay, in words the patient understands"
    info: str | None = None
    try:
        info = _text(additional_info, 1000)
    except ValueError as exc:
        problems["additional_info"] = str(exc)
    listed = _services(session, actor.clinic_id, services, day, problems)
    coverage = medicare_coverage(session, actor.clinic_id, patient.id)
    if coverage is None:
        problems["patient"] = "an ABN is for Original Medicare patients: this patient has no active Medicare coverage"
    if problems:
        raise FieldProblemsError(problems)
    assert coverage is not None
    assert reason is not None
    snapshot = default_catalog().snapshot(coverage.payer_id, day)
    version = snapshot.value("abn.form_version")
    if not version:
        raise ConflictError(f"no ABN form version is in force on {day}")
    clinic = session.get(ClinicRow, actor.clinic_id)
    assert clinic is not None
    phone = f" · {clinic.contact_phone}" if clinic.contact_phone else ""
    middle = f" {patient.middle_name[0]}." if patient.middle_name else ""
    row = AbnRow(
        clinic_id=actor.clinic_id,
        patient_id=patient.id,
        form_version=str(version),
        notifier=f"{clinic.name}\n{clinic.address_line1}, {clinic.city}, {clinic.state} {clinic.zip}{phone}",
        patient_name=f"{patient.first_name}{middle} {patient.last_name}",
        identification=patient.chart_number,
        reason_kind=reason_kind,
        reason_text=reason,
        additional_info=info,
        given_on=day,
        created_by_user_id=actor.user_id,
        created_at=clock.now(),
    )
    row.services = [
        AbnServiceRow(
            clinic_id=actor.clinic_id, position=i, code=x.code, label=x.label, estimated_cost=x.estimated_cost
        )
        for i, x in enumerate(listed, start=1)
    ]
    session.add(row)
    session.flush()
    audit(session, actor, "create", "abn", str(row.id), f"patient {patient.id}: {len(listed)} service(s)")
    return abn_record(row)


def owned_abn(session: Session, actor: Actor, patient_id: int, abn_id: int) -> AbnRow:
    row = session.get(AbnRow, abn_id)
    if row is None or row.clinic_id != actor.clinic_id or row.patient_id != patient_id:
        raise NotFoundError(f"ABN {abn_id} of patient {patient_id} not found")
    return row


def record_signature(
    session: Session,
    actor: Actor,
    patient_id: int,
    abn_id: int,
    signed_on: str | date,
    option: str | int,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> Abn:
    """The day the patient signed and the option they chose, recorded once (compare-and-set on the unsigned
    row); a signed notice is refused (ConflictError): prepare a new one instead."""
    require_role(actor, PREPARERS)
    row = owned_abn(session, actor, patient_id, abn_id)
    problems: dict[str, str] = {}
    day = signed_on if isinstance(signed_on, date) else parse_day(str(signed_on).strip())
    today = clock.today()
    if day is None:
        problems["signed_on"] = "a day as YYYY-MM-DD"
    elif day < row.given_on or day > today:
        problems["signed_on"] = f"from the day the notice was given ({row.given_on}) to today ({today})"
    chosen = str(option).strip()
    if chosen not in {"1", "2", "3"}:
        problems["option"] = "the option the patient checked: 1, 2 or 3 (the patient chooses, never the clinic)"
    if problems:
        raise FieldProblemsError(problems)
    moved = session.execute(
        update(AbnRow)
        .where(AbnRow.id == row.id, AbnRow.clinic_id == actor.clinic_id, AbnRow.signed_on.is_(None))
        .values(
            signed_on=day,
            option=int(chosen),
            signature_recorded_by_user_id=actor.user_id,
            signature_recorded_at=clock.now(),
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        session.refresh(row)
        raise ConflictError(
            f"ABN {abn_id} was signed on {row.signed_on} (option {row.option}): a signed notice is never changed; "
            "prepare a new one"
        )
    session.refresh(row)
    audit(session, actor, "sign", "abn", str(row.id), f"patient {patient_id}: option {chosen}")
    return abn_record(row)


def abn_records(session: Session, actor: Actor, patient_id: int) -> list[Abn]:
    """The patient's notices, newest first, without an audit row: for a caller that audits its own read
    (the chart, read once per view)."""
    rows = session.scalars(
        select(AbnRow)
        .where(AbnRow.clinic_id == actor.clinic_id, AbnRow.patient_id == patient_id)
        .order_by(AbnRow.given_on.desc(), AbnRow.id.desc())
    )
    return [abn_record(row) for row in rows]


def abns_of(session: Session, actor: Actor, patient_id: int) -> list[Abn]:
    """The patient's notices, newest first (one audit row for the read)."""
    patient = owned_row(session, actor, PatientRow, patient_id, "patient")
    found = abn_records(session, actor, patient.id)
    audit(session, actor, "read", "abn", f"patient {patient.id}", f"{len(found)} notice(s)")
    return found


def abn_of(session: Session, actor: Actor, patient_id: int, abn_id: int) -> Abn:
    record = abn_record(owned_abn(session, actor, patient_id, abn_id))
    audit(session, actor, "read", "abn", str(abn_id), f"patient {patient_id}")
    return record


def signed_abns_for(
    session: Session, clinic_id: int, encounter: Encounter, audits: ReadAudits
) -> list[AdvanceBeneficiaryNotice]:
    """The signed notices of the note's patient (by chart number, as the note names them), oldest first, for the
    engine: the columns it needs only, the services of all of them in a second statement. Each read is audited as
    the check's (no acting user: the check reads on the note's behalf)."""
    rows = session.execute(
        select(AbnRow.id, AbnRow.signed_on, AbnRow.option)
        .join(PatientRow, PatientRow.id == AbnRow.patient_id)
        .where(
            AbnRow.clinic_id == clinic_id,
            PatientRow.clinic_id == clinic_id,
            PatientRow.chart_number == encounter.patient.id,
            AbnRow.signed_on.is_not(None),
        )
        .order_by(AbnRow.signed_on, AbnRow.id)
    ).all()
    if not rows:
        return []
    codes: dict[int, list[str]] = {abn_id: [] for abn_id, _, _ in rows}
    services = session.execute(
        select(AbnServiceRow.abn_id, AbnServiceRow.code)
        .where(AbnServiceRow.abn_id.in_(list(codes)))
        .order_by(AbnServiceRow.abn_id, AbnServiceRow.position)
    )
    for abn_id, code in services:
        codes[abn_id].append(code)
    notices = []
    for abn_id, signed_on, option in rows:
        assert option is not None  # signed once, together with the option
        notice = AdvanceBeneficiaryNotice(
            date_signed=signed_on, option=AbnOption(option), services=tuple(codes[abn_id])
        )
        notices.append(notice)
        audits.read("abn", abn_id, "signed ABN for a check")
    return notices
