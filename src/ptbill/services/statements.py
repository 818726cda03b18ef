"""Patient statements: one printed from a patient's ledger, or a run over every patient of the clinic who owes
more than a threshold. Each statement is stored as printed (its PDF, amount due, the day its oldest amount
became due, its reminder level), and every read and write of one is audited.

A run skips a patient stated within the clinic's statement cycle (``statement_cycle_days``, 30 by default),
a printed statement included. Two runs at once never state a patient twice: a run takes the clinic's row
lock (on SQLite the first write takes the writer lock) before it reads who was stated last, so the second run
sees the first one's statements and skips those patients; the partial unique index on (clinic, patient, day)
over run statements refuses a second one whatever happens.

Reminder levels: the statement's wording follows how long the oldest amount has been owed (``REMINDER_DAYS``),
never more than one step past the patient's previous statement, so a first statement is always the plain one
and a final notice always follows the 60-day reminder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock, day_in
from ptbill.domain.identifiers import is_ascii_digits
from ptbill.services.access import Actor, ConflictError, InvalidChangeError, owned_row, require_role
from ptbill.services.audit import audit
from ptbill.services.clinic import clinic_zone
from ptbill.services.ledger_rows import PatientRows, read_rows
from ptbill.services.patient_ledger import LEDGER_ROLES, PatientLedger, compute_ledger, patient_balances
from ptbill.services.statement_pdf import REMINDER_WORDS, StatementDocument, ageing_of, draw_statement
from ptbill.storage.tables import ClinicRow, PatientRow, StatementRow, StatementRunRow

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MAX_THRESHOLD = Decimal("99999.99")
DEFAULT_CYCLE_DAYS = 30  # when the clinic has not set statement_cycle_days
# Days the oldest amount has been owed at which the statement says 30, 60 and 90 days past due (levels 1-3).
# A module constant, not a setting: these are the industry's usual steps and no clinic has asked to change them.
REMINDER_DAYS = (30, 60, 90)
RECENT_RUNS = 10


@dataclass(frozen=True, slots=True)
class Statement:
    id: int
    patient_id: int
    patient_name: str
    chart_number: str
    run_id: int | None
    statement_date: date
    amount_due: Decimal
    oldest_due: date | None
    reminder_level: int
    created_at: datetime

    @property
    def reminder(self) -> str:
        return REMINDER_WORDS.get(self.reminder_level, "") or "Statement"


@dataclass(frozen=True, slots=True)
class StatementRun:
    id: int
    run_date: date
    threshold: Decimal
    count: int
    total: Decimal
    created_at: datetime
    statements: tuple[Statement, ...]


def parse_money(raw: object, field: str, *, high: Decimal = MAX_THRESHOLD) -> Decimal:
    """An amount of 0 or more with at most two decimals (as typed or given), or InvalidChangeError naming
    ``field``."""
    try:
        amount = Decimal(str(raw).strip().replace(",", "").lstrip("$"))
    except (InvalidOperation, ValueError):
        raise InvalidChangeError(field, f"{field}: {str(raw)[:20]!r} is not an amount of money (e.g. 10.00)") from None
    if not amount.is_finite() or amount < 0 or amount > high or amount != amount.quantize(CENT):
        raise InvalidChangeError(field, f"{field}: an amount from 0.00 to {high:,} with at most two decimals")
    return amount.quantize(CENT)


def reminder_level(days_owed: int | None, previous: int | None) -> int:
    """The level by how long the oldest amount has been owed, at most one past the previous statement's."""
    by_age = sum(1 for days in REMINDER_DAYS if days_owed is not None and days_owed >= days)
    return min(by_age, 0 if previous is None else previous + 1)


def statement_day(session: Session, clinic_id: int, clock: Clock) -> date:
    """The statement's date: today in the clinic's time zone."""
    return day_in(clock, ZoneInfo(clinic_zone(session, clinic_id)))


def _remit_to(clinic: ClinicRow) -> tuple[str, ...]:
    if clinic.pay_to_address_line1:
        city = f"{clinic.pay_to_city}, {clinic.pay_to_state} {clinic.pay_to_zip}"
        return (clinic.pay_to_address_line1, city)
    return (clinic.address_line1, f"{clinic.city}, {clinic.state} {clinic.zip}")


def _phone(raw: str | None) -> str | None:
    digits = "".join(c for c in raw or "" if is_ascii_digits(c))
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" if len(digits) == 10 else (raw or None)


def _document(
    clinic: ClinicRow, patient: PatientRow, ledger: PatientLedger, day: date, level: int
) -> StatementDocument:
    visits = tuple(v for v in ledger.visits if v.patient_owes > ZERO or v.insurance_open > ZERO)
    return StatementDocument(
        clinic_name=clinic.name,
        clinic_address=(clinic.address_line1, f"{clinic.city}, {clinic.state} {clinic.zip}"),
        remit_to=_remit_to(clinic),
        phone=_phone(clinic.contact_phone),
        patient_name=f"{patient.first_name} {patient.last_name}",
        account=ledger.chart_number,
        statement_date=day,
        visits=visits,
        amount_due=ledger.owed,
        ageing=ageing_of(visits),
        credit=ledger.credit,
        reminder_level=level,
        message=clinic.statement_message,
    )


def _record(row: StatementRow, patient: PatientRow) -> Statement:
    return Statement(
        row.id,
        row.patient_id,
        f"{patient.last_name}, {patient.first_name}",
        patient.chart_number,
        row.run_id,
        row.statement_date,
        row.amount_due,
        row.oldest_due,
        row.reminder_level,
        row.created_at,
    )


def _latest(session: Session, clinic_id: int, patient_ids: list[int]) -> dict[int, StatementRow]:
    """Each patient's latest statement (by date, then id)."""
    latest: dict[int, StatementRow] = {}
    for start in range(0, len(patient_ids), 1000):
        query = select(StatementRow).where(
            StatementRow.clinic_id == clinic_id, StatementRow.patient_id.in_(patient_ids[start : start + 1000])
        )
        for row in session.scalars(query.order_by(StatementRow.statement_date, StatementRow.id)):
            latest[row.patient_id] = row
    return latest


def _make(
    session: Session,
    actor: Actor,
    clinic: ClinicRow,
    patient: PatientRow,
    rows: PatientRows,
    day: date,
    previous: StatementRow | None,
    *,
    run_id: int | None,
    clock: Clock,
) -> StatementRow:
    ledger = compute_ledger(patient, rows, day)
    oldest = ledger.oldest_due
    level = reminder_level((day - oldest).days if oldest else None, previous.reminder_level if previous else None)
    row = StatementRow(
        clinic_id=actor.clinic_id,
        patient_id=patient.id,
        run_id=run_id,
        statement_date=day,
        amount_due=ledger.owed,
        oldest_due=oldest,
        reminder_level=level,
        pdf=draw_statement(_document(clinic, patient, ledger, day, level)),
        created_by_user_id=actor.user_id,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    where = f"run {run_id}" if run_id else "printed"
    audit(session, actor, "create", "statement", str(row.id), f"patient {patient.id}, {where}, level {level}")
    return row


def print_statement(session: Session, actor: Actor, patient_id: int, *, clock: Clock = SYSTEM_CLOCK) -> Statement:
    """A statement for one patient now (the ledger's "Print statement"), stored like a run's."""
    require_role(actor, LEDGER_ROLES)
    patient = owned_row(session, actor, PatientRow, patient_id, "patient")
    clinic = session.get(ClinicRow, actor.clinic_id)
    assert clinic is not None
    day = statement_day(session, clinic.id, clock)
    rows = read_rows(session, actor.clinic_id, [patient.id]).get(patient.id, PatientRows())
    audit(session, actor, "read", "patient_ledger", str(patient.id))
    if compute_ledger(patient, rows, day).owed <= ZERO:
        raise ConflictError(f"patient {patient.id} owes nothing: there is no statement to print")
    previous = _latest(session, actor.clinic_id, [patient.id]).get(patient.id)
    row = _make(session, actor, clinic, patient, rows, day, previous, run_id=None, clock=clock)
    return _record(row, patient)


def statements_due(session: Session, actor: Actor, *, minimum: Decimal | str, clock: Clock = SYSTEM_CLOCK) -> int:
    """How many statements a run over ``minimum`` would make now: the page runs a few within the request and
    hands a larger run to the ``run_statements`` job. A bad minimum is refused here, naming the field."""
    require_role(actor, LEDGER_ROLES)
    threshold = parse_money(minimum, "minimum")
    clinic = session.get(ClinicRow, actor.clinic_id)
    assert clinic is not None
    day = statement_day(session, clinic.id, clock)
    owing = [b.patient_id for b in patient_balances(session, actor, today=day, minimum=threshold) if b.owed > threshold]
    latest = _latest(session, actor.clinic_id, owing)
    cycle = clinic.statement_cycle_days or DEFAULT_CYCLE_DAYS
    return sum(1 for i in owing if i not in latest or (day - latest[i].statement_date).days >= cycle)


def run_statements(
    session: Session,
    actor: Actor,
    *,
    minimum: Decimal | str,
    clock: Clock = SYSTEM_CLOCK,
    progress: Callable[[int, int], None] | None = None,
) -> StatementRun:
    """A statement for every patient who owes more than ``minimum`` and was not stated within the cycle;
    ``progress(done, total)`` is told as the statements are made (the job's progress bar)."""
    require_role(actor, LEDGER_ROLES)
    threshold = parse_money(minimum, "minimum")
    run = StatementRunRow(
        clinic_id=actor.clinic_id,
        run_date=clock.today(),
        threshold=threshold,
        count=0,
        total=ZERO,
        created_by_user_id=actor.user_id,
        created_at=clock.now(),
    )
    session.add(run)
    session.flush()  # on SQLite the writer lock, before anything is read; on PostgreSQL the clinic's row next
    session.execute(select(ClinicRow.id).where(ClinicRow.id == actor.clinic_id).with_for_update())
    clinic = session.get(ClinicRow, actor.clinic_id)
    assert clinic is not None
    day = statement_day(session, clinic.id, clock)
    run.run_date = day
    cycle = clinic.statement_cycle_days or DEFAULT_CYCLE_DAYS
    owing = [b for b in patient_balances(session, actor, today=day, minimum=threshold) if b.owed > threshold]
    ids = [b.patient_id for b in owing]
    latest = _latest(session, actor.clinic_id, ids)
    due = [i for i in ids if i not in latest or (day - latest[i].statement_date).days >= cycle]
    every = read_rows(session, actor.clinic_id, due)
    patients = {p.id: p for p in session.scalars(select(PatientRow).where(PatientRow.id.in_(due)))}
    made = []
    for n, patient_id in enumerate(due, 1):
        rows = every.get(patient_id, PatientRows())
        previous = latest.get(patient_id)
        made.append(
            _make(session, actor, clinic, patients[patient_id], rows, day, previous, run_id=run.id, clock=clock)
        )
        if progress is not None and (n % 25 == 0 or n == len(due)):
            progress(n, len(due))
    run.count = len(made)
    run.total = sum((row.amount_due for row in made), ZERO)
    session.flush()
    skipped = len(ids) - len(due)
    audit(session, actor, "create", "statement_run", str(run.id), f"{run.count} statements, {skipped} within the cycle")
    return StatementRun(
        run.id,
        run.run_date,
        run.threshold,
        run.count,
        run.total,
        run.created_at,
        tuple(_record(row, patients[row.patient_id]) for row in made),
    )


def _statements(session: Session, clinic_id: int, *where: ColumnElement[bool]) -> list[Statement]:
    query = (
        select(StatementRow, PatientRow)
        .join(PatientRow, PatientRow.id == StatementRow.patient_id)
        .where(StatementRow.clinic_id == clinic_id, *where)
        .order_by(StatementRow.statement_date.desc(), StatementRow.id.desc())
    )
    return [_record(row, patient) for row, patient in session.execute(query)]


def recent_runs(session: Session, actor: Actor, limit: int = RECENT_RUNS) -> list[StatementRun]:
    """The clinic's latest runs with their statements, newest first (audited as one read)."""
    require_role(actor, LEDGER_ROLES)
    runs = session.scalars(
        select(StatementRunRow)
        .where(StatementRunRow.clinic_id == actor.clinic_id)
        .order_by(StatementRunRow.id.desc())
        .limit(limit)
    ).all()
    made = _statements(session, actor.clinic_id, StatementRow.run_id.in_([r.id for r in runs]))
    audit(session, actor, "read", "statement_runs", None, f"{len(runs)} runs")
    return [
        StatementRun(
            r.id,
            r.run_date,
            r.threshold,
            r.count,
            r.total,
            r.created_at,
            tuple(s for s in made if s.run_id == r.id),
        )
        for r in runs
    ]


def statements_of(session: Session, actor: Actor, patient_id: int) -> list[Statement]:
    """One patient's statements, newest first (audited)."""
    require_role(actor, LEDGER_ROLES)
    patient = owned_row(session, actor, PatientRow, patient_id, "patient")
    audit(session, actor, "read", "statements", str(patient.id))
    return _statements(session, actor.clinic_id, StatementRow.patient_id == patient.id)


def statement_pdf(session: Session, actor: Actor, statement_id: int) -> tuple[Statement, bytes]:
    """A stored statement and its PDF as printed (audited); another clinic's is not found."""
    require_role(actor, LEDGER_ROLES)
    row = owned_row(session, actor, StatementRow, statement_id, "statement")
    patient = session.get(PatientRow, row.patient_id)
    assert patient is not None
    audit(session, actor, "read", "statement", str(row.id), f"patient {row.patient_id}")
    return _record(row, patient), row.pdf
