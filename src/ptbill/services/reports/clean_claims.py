"""Clean-claim rate (first-pass acceptance), by payer.

    clean-claim rate = claims clean on the first pass ÷ claims adjudicated

over the claims seen in the date range. Adjudicated: the payer has answered the claim (a posted 835 claim
payment). Clean on the first pass: the first answer processed it (CLP02 1, 2 or 3: paid, or applied to the
deductible) with no denying adjustment (``remittance.accounting``: a denial is a denial however it was
paid), no later answer reversed it (CLP02 22), it is an original claim (frequency 1) and no corrected or
void claim replaced it. Rejections by the clearinghouse or payer front end (999 / 277CA acknowledgements)
are not recorded in ptbill yet: once they are, a rejected claim will not count as clean either.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ptbill.services.access import Actor
from ptbill.services.audit import audit
from ptbill.services.reports.base import (
    COMMON,
    ChartModel,
    Report,
    ReportDefinition,
    ReportParams,
    Series,
    claim_filters,
    payer_name,
    share,
)
from ptbill.services.reports.ledger import answer_facts
from ptbill.storage.tables import ClaimPaymentRow, ClaimRow

PROCESSED = ("1", "2", "3")
REVERSAL = "22"


class CleanClaimRow(NamedTuple):
    payer: str
    adjudicated: int
    clean: int
    not_clean: int
    clean_pct: float | None


def first_pass(session: Session, actor: Actor, params: ReportParams) -> dict[int, tuple[str, bool]]:
    """Each adjudicated claim of the filters: its payer and whether it was clean on the first pass."""
    newer = aliased(ClaimRow)
    replaced = set(
        session.scalars(
            select(newer.corrects_claim_id).where(
                newer.clinic_id == actor.clinic_id, newer.corrects_claim_id.is_not(None)
            )
        )
    )
    query = (
        select(
            ClaimPaymentRow.id,
            ClaimPaymentRow.claim_id,
            ClaimPaymentRow.status_code,
            ClaimPaymentRow.paid,
            ClaimPaymentRow.remittance_id,
            ClaimRow.payer_id,
            ClaimRow.frequency,
        )
        .join(ClaimRow, ClaimRow.id == ClaimPaymentRow.claim_id)
        .where(ClaimPaymentRow.clinic_id == actor.clinic_id, *claim_filters(params, actor.clinic_id))
        .order_by(ClaimPaymentRow.claim_id, ClaimPaymentRow.id)
    )
    answers = session.execute(query).all()
    firsts: dict[int, tuple[Any, ...]] = {}
    for answer in answers:
        firsts.setdefault(answer.claim_id or 0, tuple(answer[:5]))
    facts = answer_facts(session, actor.clinic_id, list(firsts.values()))
    claims: dict[int, tuple[str, bool]] = {}
    for answer_id, raw_claim_id, status_code, _paid, _remittance, payer_id, frequency in answers:
        claim_id = raw_claim_id or 0
        if claim_id not in claims:  # the first answer decides, unless a later one undoes it
            clean = (
                frequency == "1"
                and claim_id not in replaced
                and status_code in PROCESSED
                and answer_id in facts
                and not facts[answer_id].has_denial
            )
            claims[claim_id] = (payer_id, clean)
        elif status_code == REVERSAL:
            claims[claim_id] = (payer_id, False)
    return claims


class CleanClaims(ReportDefinition[CleanClaimRow]):
    name = "clean-claims"
    tab = "Clean-claim rate"
    question = "How many claims each payer processed on the first pass, without a denial or a correction."
    accepts = COMMON
    columns = ("payer", "adjudicated", "clean on first pass", "not clean", "clean %")

    def build(self, session: Session, actor: Actor, params: ReportParams) -> Report[CleanClaimRow]:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for payer_id, was_clean in first_pass(session, actor, params).values():
            counts[payer_id][0] += 1
            counts[payer_id][1] += 1 if was_clean else 0
        rows = [
            CleanClaimRow(payer_name(p), n, ok, n - ok, None if not n else round(100 * ok / n, 1))
            for p, (n, ok) in counts.items()
        ]
        rows.sort(key=lambda r: (r.clean_pct or 0, r.payer.lower()))
        audit(session, actor, "read", "report", self.name)
        chart = ChartModel(
            "bar",
            "Claims clean on the first pass, by payer",
            tuple(r.payer for r in rows),
            (Series("Clean on first pass", tuple(r.clean_pct for r in rows)),),
            unit="%",
        )
        total, clean = sum(r.adjudicated for r in rows), sum(r.clean for r in rows)
        notes = [f"All payers: {clean} of {total} adjudicated claims clean on the first pass ({share(clean, total)}%)."]
        return Report(self.name, "Clean-claim rate by payer", self.columns, rows, chart, params, notes)

    def page(self, session: Session, actor: Actor, report: Report[CleanClaimRow]) -> dict[str, Any]:
        total, clean = sum(r.adjudicated for r in report.rows), sum(r.clean for r in report.rows)
        overall = share(clean, total)
        return {"total": total, "clean": clean, "overall": round(overall, 1) if overall is not None else None}
