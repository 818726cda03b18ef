"""The open balance of every billed claim, by party: what the A/R reports (aging, days in A/R) and the net
collection rate read.

Each posted answer is accounted by ``services.balances.account_of_payment`` (the one reading of paid,
adjusted and denied) when it is written, and its figures stored beside it (``services.answer_totals``); a
claim's balance is the sum of its answers' (``accounting.account_claim`` adds them the same way), added
up in SQL. For one claim:

- charge: the claim's total charge (what was billed, whether or not the payer has answered);
- insurance A/R = charge − payer paid − adjustments the clinic may not bill (CO-45 contractual, CO-253
  sequestration, other non-denial adjustments and write-offs: ``Balance.written_off``) − the patient's
  share (group PR, which moves to the patient's A/R). A denied amount stays in insurance A/R until it
  is appealed, corrected or written off: a denial is work, not a settled balance;
- patient A/R = the patient's share (PR-1 deductible, PR-2 coinsurance, PR-3 copay, other PR). ptbill
  records no patient payments yet, so the patient's share is open until it is written off.

A claim is in A/R once it was sent (submitted) or answered; a claim only built is not. A claim replaced by
a corrected claim (frequency 7) or voided (frequency 8) counts once, as its newest claim, and a void
carries no balance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Numeric,
    Subquery,
    and_,
    case,
    column,
    delete,
    func,
    select,
    table,
    union,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from ptbill.remittance.accounting import Balance
from ptbill.services.access import Actor
from ptbill.services.answer_totals import fill_missing
from ptbill.services.balances import PATIENT_SIDE_WRITE_OFFS, OpenBalance
from ptbill.services.patient_ledger import patient_paid_by_claim
from ptbill.services.reports.base import ZERO, ReportParams, claim_filters
from ptbill.services.reports.chains import settle_chains
from ptbill.storage.tables import (
    ClaimPaymentRow,
    ClaimRow,
    ClaimWriteOffRow,
    EncounterRow,
    PatientRow,
    PaymentApplicationRow,
    UserRow,
)

IN_AR = ("submitted", "accepted", "rejected", "pended", "finalized", "paid", "partial", "denied", "reversed")
BUCKETS = ("0–30", "31–60", "61–90", "91–120", "over 120")


EMPTY = Balance()
CENT = Decimal("0.01")
D_HALF_CENT = Decimal("0.005")
REVERSAL = "22"  # CLP02 22: a reversal of an earlier answer

# Written by the database's triggers (migration 0031_ledger_marks) in the same transaction as every change the
# A/R reports read. Not ORM tables: only ``ledger_revision`` and ``compact_ledger_marks`` use them.
LEDGER_MARKS = table("ledger_marks", column("id"), column("clinic_id"), column("tx"))
LEDGER_MARK_TOTALS = table("ledger_mark_totals", column("clinic_id"), column("marks"))


def ledger_revision(session: Session, clinic_id: int) -> int | None:
    """The clinic's ledger revision: how many committed transactions (on SQLite, changed rows) marked it, those
    already folded into ``ledger_mark_totals`` included. Two reads that find the same number saw the same
    ledger, since it only grows. None when this transaction changed the clinic's ledger itself and has not
    committed: its view is its own, so nothing may be kept under a number other transactions can see, nor read
    from what they kept."""
    marks, totals = LEDGER_MARKS, LEDGER_MARK_TOTALS
    folded = select(totals.c.marks).where(totals.c.clinic_id == clinic_id).scalar_subquery()
    if session.get_bind().dialect.name == "postgresql":
        mine = func.count().filter(marks.c.tx == func.txid_current_if_assigned())
        statement = select(func.count(), mine, folded).where(marks.c.clinic_id == clinic_id)
        count, own, base = session.execute(statement).one()
        return None if own else int(count) + int(base or 0)
    # SQLite (pysqlite) opens a transaction only at a transaction's first write: if one is open, this session
    # has written something not committed yet (marked or not), and may not share what it reads.
    if session.connection().connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        return None
    count, base = session.execute(select(func.count(), folded).where(marks.c.clinic_id == clinic_id)).one()
    return int(count) + int(base or 0)


def compact_ledger_marks(session: Session) -> int:
    """Fold every clinic's committed marks into its ``ledger_mark_totals`` row, so the count a revision reads
    stays short: the marks are deleted and their number added to the total in this one transaction, which
    leaves every clinic's revision as it was. Marks of transactions not committed yet are not visible here and
    stay. Returns how many marks were folded. Concurrent runs are safe: a mark is deleted (and counted) once."""
    marks, totals = LEDGER_MARKS, LEDGER_MARK_TOTALS
    last = session.scalar(select(func.max(marks.c.id)))
    if last is None:
        return 0
    gone = session.execute(delete(marks).where(marks.c.id <= last).returning(marks.c.clinic_id)).scalars().all()
    per_clinic: dict[int, int] = {}
    for clinic_id in gone:
        per_clinic[clinic_id] = per_clinic.get(clinic_id, 0) + 1
    upsert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for clinic_id, count in sorted(per_clinic.items()):  # a fixed order: two runs lock the totals alike
        adding = upsert(totals).values(clinic_id=clinic_id, marks=count)
        session.execute(
            adding.on_conflict_do_update(index_elements=[totals.c.clinic_id], set_={"marks": totals.c.marks + count})
        )
    return len(gone)


# Each posted answer's accounting by ``balances.account_of_payment``, stored as columns when it was written
# (``services.answer_totals``): charge, payer paid, then Balance's other fields in their order.
_FIGURES = (
    ClaimPaymentRow.charge,
    ClaimPaymentRow.paid,
    ClaimPaymentRow.deductible,
    ClaimPaymentRow.coinsurance,
    ClaimPaymentRow.copay,
    ClaimPaymentRow.patient_other,
    ClaimPaymentRow.contractual,
    ClaimPaymentRow.sequestration,
    ClaimPaymentRow.other_adjusted,
    ClaimPaymentRow.denied_amount,
)


def _balance(figures: Sequence[Any]) -> Balance:
    return Balance(*(Decimal(f) if f is not None else ZERO for f in figures))


@dataclass(frozen=True, slots=True)
class AnswerFacts:
    balance: Balance
    has_denial: bool


def answer_facts(session: Session, clinic_id: int, keys: list[tuple[Any, ...]]) -> dict[int, AnswerFacts]:
    """Each answer's balance and whether it denies anything (in whole or in part), from its stored figures;
    ``keys``: tuples whose first item is the answer's id."""
    fill_missing(session.connection(), clinic_id)
    ids = [int(k[0]) for k in keys]
    out: dict[int, AnswerFacts] = {}
    for start in range(0, len(ids), 1000):
        query = select(ClaimPaymentRow.id, ClaimPaymentRow.status_code, ClaimPaymentRow.denied, *_FIGURES).where(
            ClaimPaymentRow.clinic_id == clinic_id, ClaimPaymentRow.id.in_(ids[start : start + 1000])
        )
        for answer_id, status_code, denied, *figures in session.execute(query):
            balance = _balance(figures)
            # accounting's has_denial for one answer: denied outright, or a denying adjustment not reversed
            has_denial = bool(denied) or (status_code != REVERSAL and balance.denied > ZERO)
            out[answer_id] = AnswerFacts(balance, has_denial)
    return out


def answered_balances(
    session: Session, clinic_id: int, where: list[ColumnElement[bool]], claim_ids: set[int]
) -> dict[int, Balance]:
    """The balance of each claim of ``claim_ids`` over all its posted answers: the sum of its answers'
    stored figures, added up in SQL. ``where``: conditions on the claims that hold those (the report's
    filters): a plain join plans well on PostgreSQL, where an IN over the claims' own query did not."""
    fill_missing(session.connection(), clinic_id)
    query = (
        select(ClaimPaymentRow.claim_id, *(func.sum(f) for f in _FIGURES))
        .join(ClaimRow, ClaimRow.id == ClaimPaymentRow.claim_id)
        .where(ClaimPaymentRow.clinic_id == clinic_id, *where)
        .group_by(ClaimPaymentRow.claim_id)
    )
    return {claim_id: _balance(sums) for claim_id, *sums in session.execute(query) if claim_id in claim_ids}


def bucket_of(days: int) -> int:
    """0–30 → 0, 31–60 → 1, 61–90 → 2, 91–120 → 3, over 120 → 4 (days from the date aged to the as-of day)."""
    return 0 if days <= 30 else 1 if days <= 60 else 2 if days <= 90 else 3 if days <= 120 else 4


@dataclass(frozen=True, slots=True)
class ClaimBalance:
    claim_id: int
    patient_control_number: str
    payer_id: str
    patient_id: int
    patient: str  # "Last, First"
    therapist: str
    service_date: date
    submitted: date | None
    charge: Decimal
    payer_paid: Decimal
    contractual: Decimal  # CO-45 and CO-253 sequestration
    adjusted: Decimal  # everything the clinic may not bill: contractual, other adjustments, write-offs
    denied: Decimal
    patient_share: Decimal
    insurance_open: Decimal
    patient_open: Decimal

    def open_for(self, party: str) -> Decimal:
        if party == "patient":
            return self.patient_open
        if party == "all":
            return self.insurance_open + self.patient_open
        return self.insurance_open


def _claim_figures(clinic_id: int, claim_ids: list[int] | None = None) -> Subquery:
    """Per claim, its answers' stored figures added up as the open balance reads them, and its write-offs by
    side (``balances.PATIENT_SIDE_WRITE_OFFS`` close the patient's side)."""
    a = ClaimPaymentRow
    return (
        select(
            a.claim_id.label("claim_id"),
            func.sum(a.paid).label("paid"),
            func.sum(a.deductible + a.coinsurance + a.copay + a.patient_other).label("patient"),
            func.sum(a.contractual + a.sequestration).label("contractual"),
            func.sum(a.other_adjusted).label("other"),
            func.sum(a.denied_amount).label("denied"),
        )
        .where(a.clinic_id == clinic_id, a.claim_id.is_not(None), *_among(a.claim_id, claim_ids))
        .group_by(a.claim_id)
        .subquery()
    )


def _write_offs(clinic_id: int, claim_ids: list[int] | None = None) -> Subquery:
    w = ClaimWriteOffRow
    patient_side = w.reason_code.in_(sorted(PATIENT_SIDE_WRITE_OFFS))
    return (
        select(
            w.claim_id.label("claim_id"),
            func.sum(case((patient_side, ZERO), else_=w.amount)).label("payer_side"),
            func.sum(case((patient_side, w.amount), else_=ZERO)).label("patient_side"),
        )
        .where(w.clinic_id == clinic_id, *_among(w.claim_id, claim_ids))
        .group_by(w.claim_id)
        .subquery()
    )


def _among(column: Any, claim_ids: list[int] | None) -> list[ColumnElement[bool]]:
    return [] if claim_ids is None else [column.in_(claim_ids)]


def _money(value: Any) -> Decimal:
    return ZERO if value is None else value if type(value) is Decimal else Decimal(value)


def _in_ar(clinic_id: int) -> list[ColumnElement[bool]]:
    """A claim in A/R: sent or answered, not a void, not replaced by a corrected claim."""
    newer = aliased(ClaimRow)
    replaced = select(newer.corrects_claim_id).where(newer.clinic_id == clinic_id, newer.corrects_claim_id.is_not(None))
    return [ClaimRow.status.in_(IN_AR), ClaimRow.frequency != "8", ClaimRow.id.not_in(replaced)]


def linked_claim_ids(clinic_id: int) -> CompoundSelect[tuple[int]]:
    """The claims whose open balance needs more than their own answers' sums: a next payer's claim, a claim with
    a next payer or crossed over (``chains.settle_chains`` moves its patient share), a claim with a write-off
    (``OpenBalance`` splits it by side) or with patient money applied to it. A few ids, each part read from an
    index or a small table (as conditions on every claim, PostgreSQL ran three subqueries per claim); no NULL
    among them, so ``NOT IN`` splits the claims in two."""
    after = aliased(ClaimRow)
    return union(
        select(ClaimRow.id).where(ClaimRow.clinic_id == clinic_id, ClaimRow.prior_claim_id.is_not(None)),
        select(ClaimRow.id).where(ClaimRow.clinic_id == clinic_id, ClaimRow.crossed_over_to.is_not(None)),
        select(after.prior_claim_id).where(after.clinic_id == clinic_id, after.prior_claim_id.is_not(None)),
        select(ClaimWriteOffRow.claim_id).where(
            ClaimWriteOffRow.clinic_id == clinic_id, ClaimWriteOffRow.claim_id.is_not(None)
        ),
        select(PaymentApplicationRow.claim_id).where(
            PaymentApplicationRow.clinic_id == clinic_id, PaymentApplicationRow.claim_id.is_not(None)
        ),
    )


@dataclass(frozen=True, slots=True)
class OpenGroup:
    """Claims of one payer (or patient) and one day, none of them ``linked_claim_ids``: how many have something
    open for the party, and how much."""

    payer_id: str
    patient: str  # "Last, First" when grouped by patient, else ""
    service_date: date
    submitted: date | None  # when grouped by submission day, else None
    claims: int
    amount: Decimal


def open_groups(
    session: Session, actor: Actor, params: ReportParams, party: str, *, by_patient: bool, by_submission: bool
) -> list[OpenGroup]:
    """The open balances of the claims that are not ``linked_claim_ids`` (nearly all of them), added up in SQL by
    payer or patient and by day, as ``claim_balances`` reads each one: insurance A/R = charge − payer paid −
    adjustments − the patient's share, patient A/R = the patient's share. The A/R aging reads these and
    ``claim_balances(..., linked=True)`` for the rest, so it no longer builds 5,000 balances to add them up."""
    fill_missing(session.connection(), actor.clinic_id)
    as_of = params.as_of or params.today
    a = ClaimPaymentRow
    per_claim = (
        select(
            ClaimRow.id.label("claim_id"),
            ClaimRow.payer_id.label("payer_id"),
            ClaimRow.encounter_id.label("encounter_id"),
            ClaimRow.service_date.label("service_date"),
            ClaimRow.submitted_at.label("submitted_at"),
            ClaimRow.total_charge.label("charge"),
            (
                func.coalesce(func.sum(a.paid), 0)
                + func.coalesce(func.sum(a.contractual + a.sequestration), 0)  # as _claim_figures adds them
                + func.coalesce(func.sum(a.other_adjusted), 0)
            ).label("settled"),
            func.coalesce(func.sum(a.deductible + a.coinsurance + a.copay + a.patient_other), 0).label("patient"),
        )
        .outerjoin(a, and_(a.claim_id == ClaimRow.id, a.clinic_id == actor.clinic_id))
        .where(
            *_in_ar(actor.clinic_id),
            *claim_filters(params, actor.clinic_id),
            ClaimRow.service_date <= as_of,
            ClaimRow.id.not_in(linked_claim_ids(actor.clinic_id)),
        )
        .group_by(ClaimRow.id)
        .subquery()
    )
    insurance = per_claim.c.charge - per_claim.c.settled - per_claim.c.patient
    amount = {"insurance": insurance, "patient": per_claim.c.patient, "all": insurance + per_claim.c.patient}[party]
    is_open = func.abs(amount) >= D_HALF_CENT  # compared, not equated: SQLite adds its amounts as floats
    keys: list[Any] = [per_claim.c.payer_id, per_claim.c.service_date]
    query = select(func.count(case((is_open, 1))), func.sum(amount, type_=Numeric(14, 2)))
    if by_patient:
        query = query.join(EncounterRow, EncounterRow.id == per_claim.c.encounter_id).join(
            PatientRow, PatientRow.id == EncounterRow.patient_id
        )
        keys += [PatientRow.last_name, PatientRow.first_name]
    if by_submission:
        keys.append(per_claim.c.submitted_at)
    query = query.add_columns(*keys).select_from(per_claim).group_by(*keys)
    out = []
    for claims, total, payer_id, service_date, *rest in session.execute(query):
        if not claims:
            continue
        patient = f"{rest[0]}, {rest[1]}" if by_patient else ""
        submitted = rest[-1] if by_submission else None
        out.append(
            OpenGroup(
                payer_id,
                patient,
                service_date,
                submitted.date() if isinstance(submitted, datetime) else submitted,
                claims,
                Decimal(str(total)).quantize(CENT),
            )
        )
    return out


def claim_balances(
    session: Session, actor: Actor, params: ReportParams, *, as_of: date | None = None, linked: bool = False
) -> list[ClaimBalance]:
    """The balances of the clinic's billed claims within the report's filters, seen no later than ``as_of``
    (with ``linked``, only the ``linked_claim_ids`` ones: the A/R aging adds up the others in SQL, ``open_groups``).

    One query of columns (no ORM rows, no lazy loads): the claims, each with its answers' stored figures
    and its write-offs added up in SQL (``services.answer_totals``).
    """
    fill_missing(session.connection(), actor.clinic_id)
    chosen = [*_in_ar(actor.clinic_id), *claim_filters(params, actor.clinic_id)]
    if as_of is not None:
        chosen.append(ClaimRow.service_date <= as_of)
    claim_ids = None
    if linked:  # a few claims: their answers and write-offs only, not the clinic's (added up, then dropped)
        linked_ids = ClaimRow.id.in_(linked_claim_ids(actor.clinic_id))
        claim_ids = list(session.scalars(select(ClaimRow.id).where(*chosen, linked_ids)))
        if not claim_ids:
            return []
    answers, write_offs = _claim_figures(actor.clinic_id, claim_ids), _write_offs(actor.clinic_id, claim_ids)
    query = (
        select(
            ClaimRow.id,
            ClaimRow.patient_control_number,
            ClaimRow.payer_id,
            ClaimRow.total_charge,
            ClaimRow.service_date,
            ClaimRow.submitted_at,
            EncounterRow.patient_id,
            PatientRow.last_name,
            PatientRow.first_name,
            UserRow.name,
            answers.c.paid,
            answers.c.patient,
            answers.c.contractual,
            answers.c.other,
            answers.c.denied,
            write_offs.c.payer_side,
            write_offs.c.patient_side,
            ClaimRow.prior_claim_id,
        )
        .join(EncounterRow, EncounterRow.id == ClaimRow.encounter_id)
        .join(PatientRow, PatientRow.id == EncounterRow.patient_id)
        .outerjoin(UserRow, UserRow.id == EncounterRow.therapist_user_id)
        .outerjoin(answers, answers.c.claim_id == ClaimRow.id)
        .outerjoin(write_offs, write_offs.c.claim_id == ClaimRow.id)
        .where(*chosen, *_among(ClaimRow.id, claim_ids))
        .order_by(ClaimRow.id)
    )
    rows = session.execute(query).all()
    # A next payer's claim not answered yet is open for what the earlier payer left to the patient (its
    # answers' patient share), not for the whole charge: read for those few claims only.
    waiting = {r.prior_claim_id for r in rows if r.prior_claim_id is not None and r.paid is None}
    moved = _patient_shares(session, actor.clinic_id, waiting) if waiting else {}
    out = []
    for (
        claim_id,
        control_number,
        payer_id,
        total_charge,
        service_date,
        submitted_at,
        patient_id,
        last_name,
        first_name,
        therapist,
        answered_paid,
        answered_patient,
        answered_contractual,
        answered_other,
        answered_denied,
        written_payer_side,
        written_patient_side,
        prior_claim_id,
    ) in rows:  # unpacked: reading 18 columns by name from 5,000 rows is a measurable share of the report
        charge = Decimal(total_charge)
        paid, patient = _money(answered_paid), _money(answered_patient)
        contractual, denied = _money(answered_contractual), _money(answered_denied)
        written_off = contractual + _money(answered_other)  # Balance.written_off: contractual, sequestration, other
        # The clinic's write-offs close a side as the claim page shows it (balances.OpenBalance).
        payer_side, patient_side = _money(written_payer_side), _money(written_patient_side)
        insurance_open, patient_open = charge - paid - written_off - patient, patient
        if prior_claim_id is not None and answered_paid is None:  # a next payer's claim, not answered yet
            insurance_open = moved.get(prior_claim_id, ZERO)
        if payer_side or patient_side:
            still = OpenBalance(insurance_open, patient_open, payer_side, patient_side)
            insurance_open, patient_open = still.payer, still.patient
        out.append(
            ClaimBalance(
                claim_id,
                control_number,
                payer_id,
                patient_id,
                f"{last_name}, {first_name}",
                therapist or "No therapist recorded",
                service_date,
                submitted_at.date() if submitted_at else None,
                charge,
                paid,
                contractual,
                written_off + payer_side + patient_side,
                denied,
                patient,
                insurance_open,
                patient_open,
            )
        )
    return _settled(session, actor.clinic_id, out)


def _patient_shares(session: Session, clinic_id: int, claim_ids: set[int]) -> dict[int, Decimal]:
    """The patient's share of each claim's answers (what ``_claim_figures`` reads as ``patient``)."""
    a = ClaimPaymentRow
    query = (
        select(a.claim_id, func.sum(a.deductible + a.coinsurance + a.copay + a.patient_other))
        .where(a.clinic_id == clinic_id, a.claim_id.in_(sorted(claim_ids)))
        .group_by(a.claim_id)
    )
    return {claim_id: _money(share) for claim_id, share in session.execute(query) if claim_id is not None}


def _settled(session: Session, clinic_id: int, balances: list[ClaimBalance]) -> list[ClaimBalance]:
    """The balances with each patient share where coordination of benefits puts it and the patient's
    payments taken off (``chains.settle_chains``)."""
    links = select(ClaimRow.id, ClaimRow.prior_claim_id).where(
        ClaimRow.clinic_id == clinic_id, ClaimRow.prior_claim_id.is_not(None), ClaimRow.frequency != "8"
    )
    prior = {after: before for after, before in session.execute(links) if before is not None}
    crossed = set(
        session.scalars(
            select(ClaimRow.id).where(ClaimRow.clinic_id == clinic_id, ClaimRow.crossed_over_to.is_not(None))
        )
    )
    return settle_chains(balances, prior, crossed, patient_paid_by_claim(session, clinic_id))
