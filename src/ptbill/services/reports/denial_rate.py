"""Share of adjudicated claims denied, by payer and month of the remittance, with the top reasons.

An answer counts as denied when ``remittance.accounting`` says the claim was denied: nothing paid, nothing
on the patient, and a denial (status 4 or a denying adjustment). A claim applied wholly to the
deductible, or paid with contractual, sequestration and coinsurance adjustments, is not a denial.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from ptbill.services.access import Actor
from ptbill.services.answer_totals import fill_missing
from ptbill.services.audit import audit
from ptbill.services.denials import denial_worklist
from ptbill.services.reports.base import (
    COMMON,
    ZERO,
    ChartModel,
    Report,
    ReportDefinition,
    ReportParams,
    Series,
    claim_filters,
    month_label,
    month_span,
    payer_name,
    share,
)
from ptbill.storage.tables import ClaimPaymentRow, ClaimRow, RemittanceRow


class DenialRateRow(NamedTuple):
    payer: str
    month: str  # YYYY-MM of the remittance
    claims: int
    denied: int
    denied_pct: float
    top_reasons: str


def _of(part: int, whole: int, noun: str) -> str:
    return f"{part} of {whole} {noun}{'' if whole == 1 else 's'}"


class DenialRate(ReportDefinition[DenialRateRow]):
    name = "denial-rate"
    tab = "Denial rate"
    question = "How often each payer denies, month by month, and for which reasons."
    accepts = COMMON
    columns = ("payer", "month", "claims", "denied", "denied %", "top reasons")

    def build(self, session: Session, actor: Actor, params: ReportParams) -> Report[DenialRateRow]:
        # each answer's accounting, stored when it was posted (``services.answer_totals``): whether it alone
        # denies the claim, and the group and CARC of each of its net denials
        fill_missing(session.connection(), actor.clinic_id)
        query = (
            select(
                ClaimPaymentRow.denied,
                RemittanceRow.payment_date,
                ClaimRow.payer_id,
                case((ClaimPaymentRow.denied.is_(True), ClaimPaymentRow.denial_keys), else_=None),
                case((ClaimPaymentRow.denied.is_(True), ClaimPaymentRow.remarks), else_=None),
            )
            .join(RemittanceRow, RemittanceRow.id == ClaimPaymentRow.remittance_id)
            .join(ClaimRow, ClaimRow.id == ClaimPaymentRow.claim_id)
            .where(ClaimPaymentRow.status_code != "22", *claim_filters(params, actor.clinic_id))
            .order_by(ClaimPaymentRow.id)
        )
        counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        reasons: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for denied, paid_on, payer_id, keys, remarks in session.execute(query):
            key = (payer_id, paid_on.strftime("%Y-%m") if paid_on else "unknown")
            counts[key][0] += 1
            if denied:
                counts[key][1] += 1
                for code in (*(keys or ()), *(remarks or ())):
                    reasons[key][code] += 1
        rows = []
        for (payer_id, month), (total, denied) in sorted(counts.items()):
            top = sorted(reasons[(payer_id, month)].items(), key=lambda kv: -kv[1])[:3]
            rows.append(
                DenialRateRow(
                    payer_name(payer_id),
                    month,
                    total,
                    denied,
                    round(100 * denied / total, 1) if total else 0,
                    ", ".join(f"{code} ({n})" for code, n in top),
                )
            )
        by_month: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for (_, month), (total, denied) in counts.items():
            by_month[month][0] += total
            by_month[month][1] += denied
        audit(session, actor, "read", "report", self.name)
        # The chart runs month by month without skipping: a month without remittances is a gap, not a jump.
        span = month_span(sorted(by_month))
        chart = ChartModel(
            "line",
            "Share of adjudicated claims denied, by month of the remittance",
            tuple(month_label(m) for m in span),
            (
                Series(
                    "Claims denied",
                    tuple(share(by_month[m][1], by_month[m][0]) if m in by_month else None for m in span),
                ),
            ),
            unit="%",
            notes=tuple(_of(by_month[m][1], by_month[m][0], "claim") if m in by_month else "no claims" for m in span),
            size=(1240, 280),
        )
        return Report(self.name, "Denial rate by payer and month", self.columns, rows, chart, params)

    def page(self, session: Session, actor: Actor, report: Report[DenialRateRow]) -> dict[str, Any]:
        months = sorted({r.month for r in report.rows})
        cells: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
        month_totals = {m: [0, 0] for m in months}
        payer_totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in report.rows:
            cells[row.payer][row.month] = (row.claims, row.denied)
            for totals in (month_totals[row.month], payer_totals[row.payer]):
                totals[0] += row.claims
                totals[1] += row.denied
        payers = sorted(cells, key=lambda p: (-payer_totals[p][1] / max(payer_totals[p][0], 1), p.lower()))
        reasons: dict[str, dict[str, Any]] = {}
        for group in denial_worklist(session, actor, detail=False):
            entry = reasons.setdefault(
                group.key, {"key": group.key, "reason": group.reason, "months": defaultdict(int), "amount": ZERO}
            )
            for item in group.items:
                entry["months"][item.remittance_date.strftime("%Y-%m") if item.remittance_date else "unknown"] += 1
                entry["amount"] += item.denied_amount
        return {
            "months": months,
            "month_labels": {m: month_label(m) for m in months},
            "payers": payers,
            "cells": cells,
            "payer_totals": payer_totals,
            "month_totals": month_totals,
            "reasons": sorted(reasons.values(), key=lambda r: (-sum(r["months"].values()), r["key"])),
            "all_total": sum(t for t, _ in month_totals.values()),
            "all_denied": sum(d for _, d in month_totals.values()),
        }
