"""Remittances for the demo clinic, so the back-office pages have something to show: the simulated
payer 835s of ``simulate_payments`` (payments, underpayments, denials), plus two late denials: one
whose appeal deadline falls a few days from today (the worklist's "due soon" highlight), one whose
note still fails the check that should have caught it.

Shared by ``tests/browser/test_back_office_pages.py`` and ``bench/screenshots.py``. Everything here
goes through the services and real 835 files, as a clearinghouse download would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.remittance import (
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    ClaimStatus,
    PatientName,
    Remittance,
    ServicePayment,
)
from ptbill.reference.catalog import default_catalog
from ptbill.remittance.denials import appeal_deadline
from ptbill.remittance.x12_835.reader import read_835
from ptbill.remittance.x12_835.writer import write_835
from ptbill.services import access, batches, billing, users
from ptbill.services.demo_data import CLINIC_NPI, DEMO_PASSWORD
from ptbill.services.demo_payments import simulate_payments
from ptbill.services.posting import post_remittances
from ptbill.storage.tables import EncounterRow
from tests.demo_day import DEMO_TODAY

LATE_FINDING = "START_END_TIMES_MISSING"  # the second late denial's note still lacks its clock times


def _signed_unbilled(session: Session, biller: access.Actor, today: date) -> list[EncounterRow]:
    return list(
        session.scalars(
            select(EncounterRow)
            .where(
                EncounterRow.clinic_id == biller.clinic_id,
                EncounterRow.status == "signed",
                EncounterRow.date_of_service < today,
            )
            .order_by(EncounterRow.id)
        )
    )


def _appeal_limit(row: EncounterRow) -> tuple[int, int] | None:
    """The payer's appeal limit in days and the days its notice is presumed to take to arrive."""
    catalog = default_catalog()
    if catalog.payer(row.payer_id) is None:
        return None
    snapshot = catalog.snapshot(row.payer_id, row.date_of_service)
    days = snapshot.value("appeals.redetermination_days", None)
    return (int(days), int(snapshot.value("appeals.receipt_presumed_days", 0))) if days else None


def _fails(row: EncounterRow, rule_id: str) -> bool:
    return any(f.get("rule") == rule_id for f in (row.checks[-1].findings if row.checks else []))


def deny_with_n443(session: Session, biller: access.Actor, row: EncounterRow, notice: date) -> int:
    """Bill the note and post the payer's CO-16 / N443 denial (treatment times missing) dated ``notice``."""
    claim = billing.build_claims(session, biller, [row.id])[0]
    batches.create_batch(session, biller, [claim.id], TradingConfig(TEST_TRADING, {}), confirm_late=True)
    lines = tuple(
        ServicePayment(
            "HC",
            line.code,
            tuple(line.modifiers),
            line.charge,
            Decimal(0),
            units_paid=Decimal(line.units),
            service_start=claim.service_date,
            adjustments=(Adjustment(AdjustmentGroup.CONTRACTUAL, "16", line.charge),),
            remark_codes=("N443",),
        )
        for line in claim.lines
    )
    payer = default_catalog().payers()[claim.payer_id]
    remittance = Remittance(
        payer_name=payer.name.upper(),
        payer_id=claim.payer_id.upper()[:80],
        payee_name="HARBOR PHYSICAL THERAPY",
        payee_npi=CLINIC_NPI,
        payee_tax_id=None,
        handling=None,
        payment_amount=Decimal(0),
        credit_debit=None,
        payment_method=None,
        payment_date=notice,
        trace_number=f"EFT{notice:%Y%m%d}{claim.id:04d}",
        originating_company_id=None,
        production_date=None,
        claims=(
            ClaimPayment(
                claim.patient_control_number,
                ClaimStatus.DENIED,
                claim.total_charge,
                Decimal(0),
                patient_responsibility=Decimal(0),
                payer_claim_control_number=f"2026{notice:%m%d}{claim.id:07d}",
                patient=PatientName("PATIENT", "DEMO"),
                service_lines=lines,
            ),
        ),
    )
    control = 900 + claim.id % 99
    post_remittances(
        session, biller, read_835(write_835(remittance, interchange_control=control)), f"late-{claim.id}.835"
    )
    return claim.id


@dataclass(frozen=True)
class LateDenials:
    due_soon: int | None  # claim id: appeal due in a few days, the note passes the time checks
    still_failing: int | None  # claim id: the note still fails LATE_FINDING


def post_late_denials(session: Session, due_in_days: int = 6, today: date | None = None) -> LateDenials:
    """Two more demo notes billed and denied for missing times (CO-16 / N443), posted late: one of a
    payer with an appeal limit, dated so the appeal is due in ``due_in_days``; one whose note still
    lacks its clock times, so the worklist says to fix the note first."""
    today = today or date.today()
    biller = users.authenticate(session, "biller@harbor.example", DEMO_PASSWORD)
    assert biller is not None
    notes = _signed_unbilled(session, biller, today)
    soon = next((n for n in notes if _appeal_limit(n) and not _fails(n, LATE_FINDING)), None)
    failing = next((n for n in notes if _fails(n, LATE_FINDING) and n is not soon), None)
    due_soon = still_failing = None
    if soon is not None:
        days, receipt = _appeal_limit(soon) or (0, 0)
        notice = today + timedelta(days=due_in_days - days - receipt)
        assert appeal_deadline(notice, days, receipt) == today + timedelta(days=due_in_days)
        due_soon = deny_with_n443(session, biller, soon, notice)
    if failing is not None:
        still_failing = deny_with_n443(session, biller, failing, today - timedelta(days=9))
    return LateDenials(due_soon, still_failing)


def pay_demo_claims(session: Session, due_in_days: int = 6) -> LateDenials:
    """Post the demo payers' 835s, then the two late denials."""
    simulate_payments(session, today=DEMO_TODAY)
    return post_late_denials(session, due_in_days)
