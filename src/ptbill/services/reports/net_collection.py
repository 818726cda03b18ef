"""Net collection rate, by payer: of what could be collected, how much was.

    net collection rate = payments ÷ (charges − contractual adjustments)

over the claims seen in the date range (dates of service). Payments: what the payers paid on those claims
(``claim_payments.paid``, reversals netted). Contractual adjustments: CO-45 (above the allowed amount) and
CO-253 (sequestration), which the clinic may never collect; denials and the patient's share are not
subtracted, so an unworked denial or an uncollected coinsurance lowers the rate, as it should. The
patient's payments are not recorded in ptbill yet, so the rate is the payers' part.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from ptbill.services.access import Actor
from ptbill.services.audit import audit
from ptbill.services.reports.base import (
    COMMON,
    ZERO,
    ChartModel,
    Report,
    ReportDefinition,
    ReportParams,
    Series,
    payer_name,
)
from ptbill.services.reports.ledger import claim_balances


class NetCollectionRow(NamedTuple):
    payer: str
    claims: int
    charges: Decimal
    contractual: Decimal
    collectible: Decimal
    payments: Decimal
    rate_pct: float | None


def rate(payments: Decimal, collectible: Decimal) -> float | None:
    return round(float(100 * payments / collectible), 1) if collectible > 0 else None


class NetCollection(ReportDefinition[NetCollectionRow]):
    name = "net-collection"
    tab = "Net collection rate"
    question = "Of what could be collected (charges less contractual adjustments), how much the payers paid."
    accepts = COMMON
    columns = ("payer", "claims", "charges", "contractual adjustments", "collectible", "payments", "rate %")

    def build(self, session: Session, actor: Actor, params: ReportParams) -> Report[NetCollectionRow]:
        sums: dict[str, list[Any]] = defaultdict(lambda: [0, ZERO, ZERO, ZERO])
        for claim in claim_balances(session, actor, params):
            bucket = sums[claim.payer_id]
            bucket[0] += 1
            bucket[1] += claim.charge
            bucket[2] += claim.contractual
            bucket[3] += claim.payer_paid
        rows = [
            NetCollectionRow(payer_name(p), n, c, k, c - k, paid, rate(paid, c - k))
            for p, (n, c, k, paid) in sums.items()
        ]
        rows.sort(key=lambda r: (r.rate_pct is None, r.rate_pct or 0, r.payer.lower()))
        audit(session, actor, "read", "report", self.name)
        chart = ChartModel(
            "bar",
            "Net collection rate by payer: payments ÷ (charges − contractual adjustments)",
            tuple(r.payer for r in rows if r.rate_pct is not None),
            (Series("Net collection rate", tuple(r.rate_pct for r in rows if r.rate_pct is not None)),),
            unit="%",
        )
        payments = sum((r.payments for r in rows), ZERO)
        collectible = sum((r.collectible for r in rows), ZERO)
        notes = [f"All payers: {payments:.2f} paid ÷ {collectible:.2f} collectible = {rate(payments, collectible)}%."]
        return Report(self.name, "Net collection rate by payer", self.columns, rows, chart, params, notes)

    def page(self, session: Session, actor: Actor, report: Report[NetCollectionRow]) -> dict[str, Any]:
        totals = {
            key: sum((getattr(r, key) for r in report.rows), ZERO)
            for key in ("charges", "contractual", "collectible", "payments")
        }
        return {"totals": totals, "overall": rate(totals["payments"], totals["collectible"])}
