"""Which payer pays best for a code: average paid per unit, from posted payments."""

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
    payer_name,
)
from ptbill.storage.tables import ClaimLineRow, ClaimRow

FEW_LINES = 3  # an average of fewer paid lines than this is marked as thin


class BestPayerRow(NamedTuple):
    payer: str
    paid_lines: int
    average_per_unit: Decimal
    lowest: Decimal
    highest: Decimal


def billed_codes(session: Session, actor: Actor) -> list[str]:
    """The codes the clinic has claimed, the picker's choices (97012 always among them)."""
    query = (
        select(ClaimLineRow.code)
        .join(ClaimRow, ClaimRow.id == ClaimLineRow.claim_id)
        .where(ClaimRow.clinic_id == actor.clinic_id)
        .distinct()
    )
    return sorted({*session.scalars(query), "97012"})


class BestPayer(ReportDefinition[BestPayerRow]):
    name = "best-payer"
    tab = "Best payer for a code"
    question = "Which payer pays the most per unit for a code you bill."
    accepts = COMMON | {"code"}
    columns = ("payer", "paid lines", "average per unit", "lowest", "highest")

    def build(self, session: Session, actor: Actor, params: ReportParams) -> Report[BestPayerRow]:
        code = params.code
        query = (
            select(ClaimRow.payer_id, ClaimLineRow.paid_amount, ClaimLineRow.units)
            .join(ClaimLineRow, ClaimLineRow.claim_id == ClaimRow.id)
            .where(ClaimLineRow.code == code, ClaimLineRow.paid_amount > 0, *claim_filters(params, actor.clinic_id))
        )
        amounts: dict[str, list[Decimal]] = defaultdict(list)
        for payer_id, paid, units in session.execute(query):
            amounts[payer_id].append(Decimal(paid) / max(units, 1))
        rows = sorted(
            (
                BestPayerRow(
                    payer_name(p),
                    len(v),
                    (sum(v, ZERO) / len(v)).quantize(CENTS),
                    min(v).quantize(CENTS),
                    max(v).quantize(CENTS),
                )
                for p, v in amounts.items()
            ),
            key=lambda r: -r.average_per_unit,
        )
        audit(session, actor, "read", "report", f"best-payer:{code}")
        chart = ChartModel(
            "bar",
            f"Average paid per unit of {code}, by payer, with the lowest and highest payment",
            tuple(r.payer for r in rows),
            (Series("Average paid per unit", tuple(float(r.average_per_unit) for r in rows)),),
            ranges=tuple((float(r.lowest), float(r.highest)) if r.paid_lines > 1 else None for r in rows),
        )
        return Report(self.name, f"Which payer pays best for {code}", self.columns, rows, chart, params)

    def page(self, session: Session, actor: Actor, report: Report[BestPayerRow]) -> dict[str, Any]:
        code = report.params.code
        procedures = default_catalog().procedure_codes
        rows = [
            {
                "payer": r.payer,
                "lines": r.paid_lines,
                "average": r.average_per_unit,
                "low": r.lowest,
                "high": r.highest,
                "thin": r.paid_lines < FEW_LINES,
            }
            for r in report.rows
        ]
        choices = [(c, procedures[c].label if c in procedures else "") for c in billed_codes(session, actor)]
        if code not in {c for c, _ in choices}:
            choices.append((code, procedures[code].label if code in procedures else ""))
        return {
            "code": code,
            "code_label": procedures[code].label if code in procedures else "",
            "choices": choices,
            "rows": rows,
            "best": next((r for r in rows if not r["thin"]), rows[0] if rows else None),
        }
