"""The rows a patient ledger is derived from, read for some patients of one clinic and turned into the pure
values of ``remittance.ledger``: each visit's chain of claims (the first payer's, then each next payer's by
``prior_claim_id``) with its posted answers, the write-offs, the patient's payments, applications and
refunds, the provider-level adjustments that name the visit's claims, and the audit rows that recorded them.

A voided claim (frequency 8) and a claim a corrected claim replaced are no visit: the replacement is.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.orm import Session, aliased

from ptbill.reference.adjustment_codes import AdjustmentCodes
from ptbill.remittance.ledger import Answer, Application, BilledLine, ChainClaim, UserWriteOff
from ptbill.services.balances import payment_of
from ptbill.services.write_off_reasons import REASONS
from ptbill.storage.tables import (
    AuditRow,
    ClaimLineRow,
    ClaimPaymentRow,
    ClaimRow,
    ClaimWriteOffRow,
    EncounterRow,
    PatientPaymentRow,
    PatientRefundRow,
    PaymentApplicationRow,
    ProviderAdjustmentRow,
    RemittanceRow,
)

ZERO = Decimal("0.00")
CHUNK = 1000


@functools.cache
def carc_codes() -> AdjustmentCodes:
    return AdjustmentCodes.load()


# Plain words for the reasons a patient's ledger shows most (our own short labels); any other CARC is
# described by the code list, without its usage notes.
PLAIN_CARC = {
    "1": "Deductible",
    "2": "Coinsurance",
    "3": "Copay",
    "23": "Already settled by the payer before (its payment and adjustments)",
    "45": "Above the allowed amount (contractual, not billed to the patient)",
    "253": "Sequestration (federal reduction)",
}


def carc_text(code: str) -> str:
    if code in PLAIN_CARC:
        return PLAIN_CARC[code]
    return carc_codes().describe_carc(code).split(" Usage:")[0].strip()


@dataclass(frozen=True, slots=True)
class Money:
    """A patient payment or refund as the ledger lists it."""

    id: int
    kind: str  # payment, refund
    amount: Decimal
    day: date
    method: str
    reference: str | None
    source: str
    audit_id: int | None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Plb:
    id: int
    claim_id: int
    reason_code: str
    amount: Decimal  # positive: taken from the payment (PLB's sign)
    day: date
    audit_id: int | None


@dataclass(slots=True)
class PatientRows:
    """Everything one patient's ledger is computed from."""

    visits: list[tuple[list[ChainClaim], date]] = field(default_factory=list)
    write_offs: dict[int, list[UserWriteOff]] = field(default_factory=lambda: defaultdict(list))  # by visit
    applications: dict[int, list[Application]] = field(default_factory=lambda: defaultdict(list))  # by visit
    money: list[Money] = field(default_factory=list)
    plb: list[Plb] = field(default_factory=list)


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    items = list(ids)
    return [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]


def _audit_ids(session: Session, clinic_id: int, entity: str, ids: Sequence[object]) -> dict[str, int]:
    """The first audit row that created each record."""
    found: dict[str, int] = {}
    for chunk in _chunks([int(str(i)) for i in ids]):
        query = (
            select(AuditRow.entity_id, AuditRow.id)
            .where(
                AuditRow.clinic_id == clinic_id,
                AuditRow.entity == entity,
                AuditRow.action == "create",
                AuditRow.entity_id.in_([str(i) for i in chunk]),
            )
            .order_by(AuditRow.id)
        )
        for entity_id, audit_id in session.execute(query):
            if entity_id is not None:
                found.setdefault(entity_id, audit_id)
    return found


def visit_claims(clinic_id: int, patient_ids: Sequence[int] | None) -> Select[ClaimRow, int]:
    """The claims of the patients (all the clinic's, ``None``) that count: not voids, not replaced."""
    newer = aliased(ClaimRow)
    replaced = select(newer.corrects_claim_id).where(newer.clinic_id == clinic_id, newer.corrects_claim_id.is_not(None))
    query = (
        select(ClaimRow, EncounterRow.patient_id)
        .join(EncounterRow, EncounterRow.id == ClaimRow.encounter_id)
        .where(ClaimRow.clinic_id == clinic_id, ClaimRow.frequency != "8", ClaimRow.id.not_in(replaced))
    )
    if patient_ids is not None:
        query = query.where(EncounterRow.patient_id.in_(list(patient_ids)))
    return query.order_by(ClaimRow.id)


def read_rows(session: Session, clinic_id: int, patient_ids: Sequence[int] | None) -> dict[int, PatientRows]:
    """Each patient's rows (the patients with claims or money; ``None``: every patient of the clinic)."""
    claims: dict[int, ClaimRow] = {}
    patient_of: dict[int, int] = {}
    for claim, patient_id in session.execute(visit_claims(clinic_id, patient_ids)):
        claims[claim.id] = claim
        patient_of[claim.id] = patient_id
    lines: dict[int, list[BilledLine]] = defaultdict(list)
    for chunk in _chunks(list(claims)):
        query = select(ClaimLineRow).where(ClaimLineRow.claim_id.in_(chunk)).order_by(ClaimLineRow.line_number)
        for line in session.scalars(query):
            lines[line.claim_id].append(BilledLine(line.line_number, line.code, line.charge))
    answers = _answers(session, clinic_id, list(claims))
    claim_audits = _audit_ids(session, clinic_id, "claim", list(claims))
    chains = _chains(claims, lines, answers, claim_audits)
    visit_of = {claim_id: chain[0].id for chain in chains for claim_id in (c.id for c in chain)}
    out: dict[int, PatientRows] = defaultdict(PatientRows)
    for chain in chains:
        out[patient_of[chain[0].id]].visits.append((chain, claims[chain[0].id].service_date))
    _write_offs(session, clinic_id, visit_of, patient_of, out)
    _patient_money(session, clinic_id, patient_ids, visit_of, out)
    _plb(session, clinic_id, visit_of, patient_of, out)
    return dict(out)


def _answers(session: Session, clinic_id: int, claim_ids: list[int]) -> dict[int, list[Answer]]:
    rows: list[tuple[ClaimPaymentRow, date | None, object, int]] = []
    for chunk in _chunks(claim_ids):
        query = (
            select(ClaimPaymentRow, RemittanceRow.payment_date, RemittanceRow.posted_at, RemittanceRow.id)
            .join(RemittanceRow, RemittanceRow.id == ClaimPaymentRow.remittance_id)
            .where(ClaimPaymentRow.clinic_id == clinic_id, ClaimPaymentRow.claim_id.in_(chunk))
            .order_by(ClaimPaymentRow.id)
        )
        rows += [
            (row, paid_on, posted_at, remittance_id)
            for row, paid_on, posted_at, remittance_id in session.execute(query)
        ]
    audits = _audit_ids(session, clinic_id, "remittance", sorted({r[3] for r in rows}))
    answers: dict[int, list[Answer]] = defaultdict(list)
    for row, paid_on, posted_at, remittance_id in rows:
        assert row.claim_id is not None
        payment, matched = payment_of(row)
        day = paid_on or posted_at.date()  # type: ignore[attr-defined]
        answers[row.claim_id].append(Answer(row.id, day, payment, matched, audits.get(str(remittance_id))))
    return answers


def _chains(
    claims: dict[int, ClaimRow],
    lines: dict[int, list[BilledLine]],
    answers: dict[int, list[Answer]],
    audits: dict[str, int],
) -> list[list[ChainClaim]]:
    """Each visit's claims in payer order: a first claim, then the next payer's claim naming it as prior."""
    following: dict[int, int] = {}
    for claim in claims.values():
        if claim.prior_claim_id is not None and claim.prior_claim_id in claims:
            following.setdefault(claim.prior_claim_id, claim.id)
    chains = []
    for claim in claims.values():
        if claim.prior_claim_id is not None and claim.prior_claim_id in claims:
            continue
        chain: list[ChainClaim] = []
        current: int | None = claim.id
        while current is not None and len(chain) < 3:
            row = claims[current]
            chain.append(
                ChainClaim(
                    row.id,
                    row.payer_id,
                    tuple(lines.get(row.id, ())),
                    tuple(answers.get(row.id, ())),
                    row.crossed_over_to if row.id not in following else None,
                    audits.get(str(row.id)),
                )
            )
            current = following.get(current)
        if chain[0].lines:
            chains.append(chain)
    return chains


def _write_offs(
    session: Session, clinic_id: int, visit_of: dict[int, int], patient_of: dict[int, int], out: dict[int, PatientRows]
) -> None:
    rows: list[ClaimWriteOffRow] = []
    for chunk in _chunks(list(visit_of)):
        query = select(ClaimWriteOffRow).where(
            ClaimWriteOffRow.clinic_id == clinic_id, ClaimWriteOffRow.claim_id.in_(chunk)
        )
        rows += list(session.scalars(query.order_by(ClaimWriteOffRow.id)))
    audits = _audit_ids(session, clinic_id, "claim_write_off", [r.id for r in rows])
    for row in sorted(rows, key=lambda r: r.id):
        visit = visit_of[row.claim_id]
        out[patient_of[visit]].write_offs[visit].append(
            UserWriteOff(
                row.id,
                row.claim_id,
                row.line_number,
                row.amount,
                row.reason_code,
                row.reason_text or REASONS.get(row.reason_code, row.reason_code),
                row.created_at.date(),
                audits.get(str(row.id)),
            )
        )


def _patient_money(
    session: Session,
    clinic_id: int,
    patient_ids: Sequence[int] | None,
    visit_of: dict[int, int],
    out: dict[int, PatientRows],
) -> None:
    def mine(
        table: type[PatientPaymentRow] | type[PatientRefundRow] | type[PaymentApplicationRow],
    ) -> ColumnElement[bool]:
        where = [table.clinic_id == clinic_id]
        if patient_ids is not None:
            where.append(table.patient_id.in_(list(patient_ids)))
        return and_(*where)

    payments = list(
        session.scalars(select(PatientPaymentRow).where(mine(PatientPaymentRow)).order_by(PatientPaymentRow.id))
    )
    refunds = list(
        session.scalars(select(PatientRefundRow).where(mine(PatientRefundRow)).order_by(PatientRefundRow.id))
    )
    applied = list(
        session.scalars(
            select(PaymentApplicationRow).where(mine(PaymentApplicationRow)).order_by(PaymentApplicationRow.id)
        )
    )
    paid_audits = _audit_ids(session, clinic_id, "patient_payment", [p.id for p in payments])
    refund_audits = _audit_ids(session, clinic_id, "patient_refund", [r.id for r in refunds])
    applied_audits = _audit_ids(session, clinic_id, "payment_application", [a.id for a in applied])
    for p in payments:
        out[p.patient_id].money.append(
            Money(p.id, "payment", p.amount, p.received_on, p.method, p.reference, p.source, paid_audits.get(str(p.id)))
        )
    for r in refunds:
        out[r.patient_id].money.append(
            Money(
                r.id,
                "refund",
                r.amount,
                r.refunded_on,
                r.method,
                r.reference,
                "user",
                refund_audits.get(str(r.id)),
                r.reason,
            )
        )
    source = {p.id: p.source for p in payments}
    for a in applied:
        visit = visit_of.get(a.claim_id, a.claim_id)
        out[a.patient_id].applications[visit].append(
            Application(
                a.id,
                a.claim_id,
                a.amount,
                a.applied_on,
                a.payment_id,
                applied_audits.get(str(a.id)),
                source.get(a.payment_id, "user") if a.payment_id else "user",
            )
        )


def _plb(
    session: Session, clinic_id: int, visit_of: dict[int, int], patient_of: dict[int, int], out: dict[int, PatientRows]
) -> None:
    rows = []
    for chunk in _chunks(list(visit_of)):
        query = (
            select(ProviderAdjustmentRow, RemittanceRow.payment_date, RemittanceRow.posted_at)
            .join(RemittanceRow, RemittanceRow.id == ProviderAdjustmentRow.remittance_id)
            .where(ProviderAdjustmentRow.clinic_id == clinic_id, ProviderAdjustmentRow.claim_id.in_(chunk))
            .order_by(ProviderAdjustmentRow.id)
        )
        rows += list(session.execute(query))
    audits = _audit_ids(session, clinic_id, "remittance", sorted({row.remittance_id for row, _, _ in rows}))
    for row, paid_on, posted_at in rows:
        assert row.claim_id is not None
        visit = visit_of[row.claim_id]
        out[patient_of[visit]].plb.append(
            Plb(
                row.id,
                visit,
                row.reason_code,
                row.amount,
                paid_on or posted_at.date(),
                audits.get(str(row.remittance_id)),
            )
        )
