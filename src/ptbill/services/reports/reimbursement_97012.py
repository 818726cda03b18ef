"""The guide's average for 97012 beside what this clinic was actually reimbursed, per payer.

Reimbursed = what the payer paid plus the patient's share (deductible, coinsurance, copay) on the line:
the allowed amount, which is what a payer's rate means. 97012 is one unit a day.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.reference.catalog import default_catalog
from ptbill.services.access import Actor
from ptbill.services.audit import audit
from ptbill.services.reports.base import (
    CENTS,
    COMMON,
    ZERO,
    ChartModel,
    Report,
    ReportDefinition,
    ReportParams,
    Series,
    claim_filters,
)
from ptbill.storage.tables import ClaimPaymentRow, ClaimRow, RemittanceRow


class ReimbursementRow(NamedTuple):
    payer: str
    type: str  # the payer type (medicare, commercial, ...)
    guide_average: Decimal | None
    your_average: Decimal | None
    paid_lines: int
    difference: Decimal | None


# A posted answer never changes once posted: what it reimbursed for each paid 97012 line is remembered under
# its id, paid amount and when its remittance was posted, so a view reads each answer's JSON once per process.
_REIMBURSED: dict[tuple[Any, ...], tuple[Decimal, ...]] = {}
MEMO_LIMIT = 200_000


def _reimbursed(session: Session, clinic_id: int, keys: list[tuple[Any, ...]]) -> dict[int, tuple[Decimal, ...]]:
    """Per answer (keys: id, paid, when its remittance was posted): paid + patient share of its paid 97012 lines."""
    missing = [k[0] for k in keys if (clinic_id, *k) not in _REIMBURSED]
    if len(_REIMBURSED) + len(missing) > MEMO_LIMIT:
        _REIMBURSED.clear()
        missing = [k[0] for k in keys]
    for start in range(0, len(missing), 1000):
        query = select(
            ClaimPaymentRow.id,
            ClaimPaymentRow.paid,
            RemittanceRow.posted_at,
            ClaimPaymentRow.lines,
            ClaimPaymentRow.adjustments,
        ).join(RemittanceRow, RemittanceRow.id == ClaimPaymentRow.remittance_id)
        query = query.where(
            ClaimPaymentRow.clinic_id == clinic_id, ClaimPaymentRow.id.in_(missing[start : start + 1000])
        )
        for answer_id, answer_paid, posted_at, lines, adjustments in session.execute(query):
            amounts = []
            for line in lines:
                if line.get("code") != "97012" or Decimal(str(line.get("paid", "0"))) <= 0:
                    continue
                patient_share = sum(
                    (
                        Decimal(str(a["amount"]))
                        for a in adjustments
                        if a.get("level") == "line" and a.get("code") == "97012" and a.get("group") == "PR"
                    ),
                    ZERO,
                )
                amounts.append(Decimal(str(line["paid"])) + patient_share)
            _REIMBURSED[(clinic_id, answer_id, answer_paid, posted_at)] = tuple(amounts)
    return {k[0]: _REIMBURSED[(clinic_id, *k)] for k in keys if (clinic_id, *k) in _REIMBURSED}


class Reimbursement97012(ReportDefinition[ReimbursementRow]):
    name = "reimbursement-97012"
    tab = "97012 vs the guide"
    question = "What each payer pays you for 97012, beside the billing guide's table."
    accepts = COMMON
    columns = ("payer", "type", "guide average", "your average reimbursed", "paid lines", "difference")

    def build(self, session: Session, actor: Actor, params: ReportParams) -> Report[ReimbursementRow]:
        catalog = default_catalog()
        paid: dict[str, list[Decimal]] = defaultdict(list)
        query = (
            select(ClaimRow.payer_id, ClaimPaymentRow.id, ClaimPaymentRow.paid, RemittanceRow.posted_at)
            .join(ClaimRow, ClaimRow.id == ClaimPaymentRow.claim_id)
            .join(RemittanceRow, RemittanceRow.id == ClaimPaymentRow.remittance_id)
            .where(ClaimPaymentRow.status_code != "22", *claim_filters(params, actor.clinic_id))
        )
        answers = session.execute(query).all()
        amounts_of = _reimbursed(session, actor.clinic_id, [(a.id, a.paid, a.posted_at) for a in answers])
        for payer_id, answer_id, _paid, _posted in answers:
            paid[payer_id].extend(amounts_of.get(answer_id, ()))
        rows = []
        for payer_id, payer in catalog.payers().items():
            if params.payer and payer_id != params.payer:
                continue
            seed = catalog.snapshot(payer_id, params.today).resolved("fees.seed_average.97012")
            amounts = paid.get(payer_id, [])
            actual = (sum(amounts, ZERO) / len(amounts)).quantize(CENTS) if amounts else None
            guide = Decimal(str(seed.value)).quantize(CENTS) if seed else None
            difference = (actual - guide) if actual is not None and guide is not None else None
            rows.append(ReimbursementRow(payer.name, payer.type.value, guide, actual, len(amounts), difference))
        rows.sort(key=lambda r: (r.your_average is None, -(r.your_average or ZERO)))
        audit(session, actor, "read", "report", self.name)
        with_data = [r for r in rows if r.your_average is not None]
        chart = ChartModel(
            "bar",
            "97012 per unit: the guide's average beside what you were reimbursed (payer + patient), by payer",
            tuple(r.payer for r in with_data),
            (
                Series(
                    "Guide average",
                    tuple(float(r.guide_average) if r.guide_average is not None else None for r in with_data),
                ),
                Series("Your average reimbursed", tuple(float(r.your_average or 0) for r in with_data)),
            ),
        )
        return Report(
            self.name,
            "Reimbursement for 97012 by payer: the guide's table beside what you were reimbursed",
            self.columns,
            rows,
            chart,
            params,
            notes=[
                "Guide average: the billing guide's 25-payer table (undated). Your average: per paid 97012 line, "
                "what the payer paid plus the patient's share (the allowed amount)."
            ],
        )

    def page(self, session: Session, actor: Actor, report: Report[ReimbursementRow]) -> dict[str, Any]:
        rows: list[dict[str, Any]] = [
            {
                "payer": r.payer,
                "type": r.type,
                "guide": r.guide_average,
                "yours": r.your_average,
                "lines": r.paid_lines,
                "difference": r.difference,
                "share": (r.your_average / r.guide_average * 100).quantize(Decimal("1"))
                if r.guide_average and r.your_average is not None
                else None,
            }
            for r in report.rows
            if r.guide_average is not None or r.your_average is not None  # not a catalog fallback payer
        ]
        paid = [r for r in rows if r["yours"] is not None]
        below = [r for r in paid if r["difference"] is not None and r["difference"] < 0]
        return {
            "rows": rows,
            "paid_payers": len(paid),
            "below": len(below),
            "worst": min(below, key=lambda r: r["difference"], default=None),
            "unpaid_payers": [r["payer"] for r in rows if r["yours"] is None],
        }
