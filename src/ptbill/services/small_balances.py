"""Small balances written off in bulk: every patient who owes more than 0 and less than a threshold has what
they owe written off, visit by visit, through ``write_offs.write_off`` (reason ``small_balance``, a
patient-side reason, on the claim of the visit's chain that holds the patient's share now, so each claim row
is locked and checked as a single write-off is). All or nothing: the whole of it runs in a savepoint, and the
first refusal undoes every write-off before it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.services.access import Actor, InvalidChangeError, require_role
from ptbill.services.audit import audit
from ptbill.services.ledger_rows import PatientRows, read_rows
from ptbill.services.patient_ledger import LEDGER_ROLES, compute_ledger, patient_balances
from ptbill.services.statements import parse_money, statement_day
from ptbill.services.write_offs import MAX_REASON_TEXT, write_off
from ptbill.storage.tables import PatientRow

ZERO = Decimal("0.00")
MAX_UNDER = Decimal("100.00")  # a "small" balance: more than this is a collections question, not a write-off


@dataclass(frozen=True, slots=True)
class SmallBalanceWriteOff:
    patients: int
    visits: int
    total: Decimal


def write_off_small_balances(
    session: Session, actor: Actor, *, under: Decimal | str, reason_text: str, clock: Clock = SYSTEM_CLOCK
) -> SmallBalanceWriteOff:
    """Write off the balance of every patient who owes less than ``under``; the count and total written off."""
    require_role(actor, LEDGER_ROLES)
    limit = parse_money(under, "under", high=MAX_UNDER)
    if limit <= ZERO:
        raise InvalidChangeError("under", "under: an amount above 0.00")
    text = (reason_text or "").strip()
    if not text or len(text) > MAX_REASON_TEXT or not text.replace("\n", " ").isprintable():
        raise InvalidChangeError(
            "reason_text", f"reason_text: say why, in at most {MAX_REASON_TEXT} printable characters"
        )
    day = statement_day(session, actor.clinic_id, clock)
    small = [b for b in patient_balances(session, actor, today=day, minimum=ZERO) if ZERO < b.owed < limit]
    every = read_rows(session, actor.clinic_id, [b.patient_id for b in small])
    visits = 0
    total = ZERO
    with session.begin_nested():
        for balance in small:
            patient = session.get(PatientRow, balance.patient_id)
            assert patient is not None
            ledger = compute_ledger(patient, every.get(patient.id, PatientRows()), day)
            for visit in ledger.visits:
                if visit.patient_owes <= ZERO:
                    continue
                write_off(
                    session,
                    actor,
                    visit.claim_ids[-1],
                    visit.patient_owes,
                    "small_balance",
                    text,
                    clock=clock,
                )
                visits += 1
                total += visit.patient_owes
    audit(
        session,
        actor,
        "create",
        "small_balance_write_off",
        None,
        f"{len(small)} patients, {visits} visits, {total} under {limit}",
    )
    return SmallBalanceWriteOff(len(small), visits, total)
