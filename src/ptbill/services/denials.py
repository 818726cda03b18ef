"""The denial worklist: denied or short-paid claims grouped by reason, each with the next action, the
ptbill rule that should have caught it before submission (the closed loop), and the appeal deadline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session, load_only

from ptbill.domain.status import ClaimState
from ptbill.reference.catalog import default_catalog
from ptbill.remittance.denials import DenialReason, appeal_deadline
from ptbill.services.access import Actor
from ptbill.services.answer_totals import fill_missing, stored_accounts
from ptbill.services.audit import audit
from ptbill.services.balances import account_of_payment
from ptbill.services.check_results import stored_rules_fired
from ptbill.storage.tables import ClaimPaymentRow, ClaimRow, EncounterRow, RemittanceRow

ZERO = Decimal("0.00")


@dataclass
class DenialItem:
    claim_id: int
    patient_control_number: str
    payer_id: str
    service_date: date
    charge: Decimal
    denied_amount: Decimal
    reason: DenialReason
    remittance_date: date | None
    appeal_by: date | None
    rules_firing_now: list[str]  # of the rules that should have caught it, those the note still fails


@dataclass
class DenialGroup:
    key: str  # e.g. "CO-197" or "CO-50 / N661"
    reason: str
    next_action: str
    rules: tuple[str, ...]
    items: list[DenialItem] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((i.denied_amount for i in self.items), ZERO)


def main_denial(payment: ClaimPaymentRow) -> DenialReason | None:
    """The reason a posted claim payment was denied: its largest denying adjustment, as
    ``remittance.accounting`` reads it (a patient's share is never a denial)."""
    return account_of_payment(payment).main_denial


def denial_worklist(session: Session, actor: Actor, *, detail: bool = True) -> list[DenialGroup]:
    """Open denials of the clinic, largest amount first within each reason. Without ``detail`` (a report that
    counts them by reason) no appeal deadline is worked out and no note's checks are read.

    Whether a note still fails the checks that should have caught its denial comes from the note's stored
    check result (``check_results``): a page view does not run the engine again for every denied note.
    """
    catalog = default_catalog()
    # A claim has a denial left only if one of its answers has one: an answer's stored net denials
    # (``answer_totals``) name every denial that can still be net positive over the claim's answers.
    fill_missing(session.connection(), actor.clinic_id)
    denying = select(ClaimPaymentRow.claim_id).where(
        ClaimPaymentRow.clinic_id == actor.clinic_id, func.length(cast(ClaimPaymentRow.denial_keys, String)) > 2
    )
    where = [
        ClaimRow.clinic_id == actor.clinic_id,
        ClaimRow.status.in_((ClaimState.DENIED, ClaimState.PARTIAL)),
        ClaimRow.id.in_(denying),
    ]
    claims = session.execute(
        select(
            ClaimRow.id,
            ClaimRow.patient_control_number,
            ClaimRow.payer_id,
            ClaimRow.service_date,
            ClaimRow.total_charge,
            ClaimRow.encounter_id,
        )
        .where(*where)
        .order_by(ClaimRow.id)
    ).all()
    # Whether a claim is denied, and for what, does not depend on its lines or the amounts expected (only
    # whether it is underpaid does): its accounts are read from its answers' stored figures.
    accounts = stored_accounts(session.connection(), actor.clinic_id, where)
    # The latest remittance that answered each claim: the appeal clock runs from it.
    answered_on: dict[int, date | None] = {}
    if claims:
        for claim_id, paid_on in session.execute(
            select(ClaimPaymentRow.claim_id, RemittanceRow.payment_date)
            .join(RemittanceRow, RemittanceRow.id == ClaimPaymentRow.remittance_id)
            .join(ClaimRow, ClaimRow.id == ClaimPaymentRow.claim_id)
            .where(ClaimPaymentRow.clinic_id == actor.clinic_id, *where)
            .order_by(ClaimPaymentRow.id)
        ):
            if claim_id is not None:
                answered_on[claim_id] = paid_on
    denied = [
        (claim, answered_on.get(claim.id), account)
        for claim in claims
        if (account := accounts.get(claim.id)) is not None and account.has_denial and account.main_denial is not None
    ]
    note_ids = {
        claim.encounter_id
        for claim, _, account in denied
        if detail and account.main_denial and account.main_denial.rules
    }
    notes = session.scalars(
        select(EncounterRow)
        .where(EncounterRow.clinic_id == actor.clinic_id, EncounterRow.id.in_(note_ids))
        # a stored check is matched by id and version; the document is read only for a note never checked
        .options(load_only(EncounterRow.id, EncounterRow.clinic_id, EncounterRow.version))
    )
    fired = stored_rules_fired(session, actor.clinic_id, list(notes))
    groups: dict[str, DenialGroup] = {}
    for claim, paid_on, account in denied:
        main = account.main_denial
        assert main is not None
        known = detail and catalog.payer(claim.payer_id) is not None
        snapshot = catalog.snapshot(claim.payer_id, claim.service_date) if known else None
        days = snapshot.value("appeals.redetermination_days", None) if snapshot else None
        receipt = snapshot.value("appeals.receipt_presumed_days", 0) if snapshot else 0
        appeal_by = appeal_deadline(paid_on, int(days), int(receipt)) if paid_on and days else None
        firing = sorted(fired.get(claim.encounter_id, frozenset()) & set(main.rules))
        key = f"{main.group.value if main.group else ''}-{main.carc}" + (
            f" / {', '.join(main.rarcs)}" if main.rarcs else ""
        )
        group = groups.setdefault(key, DenialGroup(key, main.reason, main.next_action, main.rules))
        group.items.append(
            DenialItem(
                claim.id,
                claim.patient_control_number,
                claim.payer_id,
                claim.service_date,
                claim.total_charge,
                account.denied_amount,
                main,
                paid_on,
                appeal_by,
                firing,
            )
        )
    audit(session, actor, "read", "denial_worklist", None, f"{sum(len(g.items) for g in groups.values())} denials")
    ordered = sorted(groups.values(), key=lambda g: -g.total)
    for group in ordered:
        group.items.sort(key=lambda i: (i.appeal_by or date.max, -i.denied_amount))
    return ordered
