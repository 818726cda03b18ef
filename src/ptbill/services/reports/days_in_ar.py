"""Days in A/R, by payer: how many days of charges are still owed.

    days in A/R = A/R at the end of the window ÷ (charges with a date of service in the window ÷ its days)

The window is the last 90 days up to the as-of day (the clock's today unless one is chosen); a date range
replaces it (its end is then the as-of day). A/R is the open balance of the chosen party (``ledger``:
insurance unless asked) of every billed claim seen by the window's end, older ones included. Charges are
the total charges of the claims built for notes seen in the window, whatever their status. A payer with
no charges in the window has no days in A/R (a dash, not infinity).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
from ptbill.services.reports.ledger import claim_balances
from ptbill.storage.tables import ClaimRow

WINDOW_DAYS = 90


class DaysInArRow(NamedTuple):
    payer: str
    ar: Decimal
    charges: Decimal
    average_daily_charges: Decimal
    days_in_ar: Decimal | None


def window(params: ReportParams) -> tuple[date, date]:
    end = params.date_to or params.as_of or params.today
    start = params.date_from or end - timedelta(days=WINDOW_DAYS - 1)
    return start, end


def days_of(ar: Decimal, charges: Decimal, days: int) -> tuple[Decimal, Decimal | None]:
    daily = (charges / days).quantize(CENTS) if days else ZERO
    return daily, ((ar / (charges / days)).quantize(Decimal("0.1")) if charges > 0 and days else None)


class DaysInAr(ReportDefinition[DaysInArRow]):
    name = "days-in-ar"
    tab = "Days in A/R"
    question = "How many days of charges are still owed, by payer."
    accepts = COMMON | {"as_of", "party"}
    columns = ("payer", "A/R", "charges in window", "average daily charges", "days in A/R")

    def build(self, session: Session, actor: Actor, params: ReportParams) -> Report[DaysInArRow]:
        start, end = window(params)
        ar: dict[str, Decimal] = defaultdict(lambda: ZERO)
        everything = replace(params, date_from=None, date_to=end)
        for claim in claim_balances(session, actor, everything, as_of=end):
            ar[claim.payer_id] += claim.open_for(params.party)
        in_window = replace(params, date_from=start, date_to=end)
        query = (
            select(ClaimRow.payer_id, func.sum(ClaimRow.total_charge))
            .where(ClaimRow.frequency != "8", *claim_filters(in_window, actor.clinic_id))
            .group_by(ClaimRow.payer_id)
        )
        charges: dict[str, Decimal] = {p: Decimal(total or 0) for p, total in session.execute(query)}
        days = (end - start).days + 1
        rows = []
        for payer_id in sorted(set(ar) | set(charges), key=lambda p: payer_name(p).lower()):
            owed, billed = ar.get(payer_id, ZERO), charges.get(payer_id, ZERO)
            if owed == ZERO and billed == ZERO:
                continue
            daily, in_ar = days_of(owed, billed, days)
            rows.append(DaysInArRow(payer_name(payer_id), owed, billed, daily, in_ar))
        total_ar, total_charges = sum(ar.values(), ZERO), sum(charges.values(), ZERO)
        daily, overall = days_of(total_ar, total_charges, days)
        audit(session, actor, "read", "report", self.name)
        shown = [r for r in rows if r.days_in_ar is not None]
        chart = ChartModel(
            "bar",
            f"Days in A/R by payer, {start.isoformat()} to {end.isoformat()}",
            tuple(r.payer for r in shown),
            (Series("Days in A/R", tuple(float(r.days_in_ar or 0) for r in shown)),),
            unit="",
        )
        notes = [
            f"All payers: A/R {total_ar:.2f} ÷ ({total_charges:.2f} charged ÷ {days} days = {daily:.2f} a day) = "
            f"{overall if overall is not None else '—'} days in A/R."
        ]
        return Report(self.name, "Days in A/R by payer", self.columns, rows, chart, params, notes)

    def page(self, session: Session, actor: Actor, report: Report[DaysInArRow]) -> dict[str, Any]:
        start, end = window(report.params)
        total_ar = sum((r.ar for r in report.rows), ZERO)
        total_charges = sum((r.charges for r in report.rows), ZERO)
        days = (end - start).days + 1
        daily, overall = days_of(total_ar, total_charges, days)
        return {
            "start": start,
            "end": end,
            "days": days,
            "total_ar": total_ar,
            "total_charges": total_charges,
            "daily": daily,
            "overall": overall,
        }
