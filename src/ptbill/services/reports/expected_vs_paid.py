"""Lines paid less than the expected amount (beyond a tolerance), and totals per payer and code.

Like with like (``remittance.accounting``): the expected allowed amount against what the payer allowed
(its payment, the patient's share and sequestration), so a deductible, a coinsurance or sequestration
is never an underpayment, and a denied line is a denial, not an underpayment.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Subquery, func, select
from sqlalchemy.orm import Session

from ptbill.remittance.accounting import UNDERPAID_TOLERANCE, Balance, LineAccount
from ptbill.services.access import Actor
from ptbill.services.answer_totals import fill_missing
from ptbill.services.audit import audit
from ptbill.services.reports.base import (
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
from ptbill.storage.tables import ClaimLineRow, ClaimPaymentLineRow, ClaimRow, EncounterRow, PatientRow

LINES_SHOWN = 20  # underpaid lines listed per payer and code on the page


class ExpectedPaidRow(NamedTuple):
    payer: str
    code: str
    expected: Decimal  # the expected allowed amount
    allowed: Decimal  # what the payer allowed: paid + patient responsibility + sequestration
    paid: Decimal
    difference: Decimal
    underpaid: Decimal


class UnderpaidLine(NamedTuple):
    claim: str
    patient: str
    payer: str
    code: str
    units: int
    service_date: date
    expected: Decimal
    allowed: Decimal
    paid: Decimal
    short: Decimal


UNDERPAID_COLUMNS = (
    "claim",
    "patient",
    "payer",
    "code",
    "units",
    "date of service",
    "expected",
    "allowed",
    "paid",
    "short",
)


class _PricedLine(NamedTuple):
    patient_control_number: str
    payer_id: str
    service_date: date
    code: str
    units: int


def _answered_lines(session: Session, actor: Actor, params: ReportParams) -> tuple[Any, Subquery]:
    """The FROM and WHERE of every paid or partly paid claim line with an expected amount and an answer: the
    lines joined to their answers' stored figures added up (``_line_sums``)."""
    fill_missing(session.connection(), actor.clinic_id)
    sums = _line_sums(actor.clinic_id)
    query = (
        select()
        .select_from(ClaimRow)
        .join(ClaimLineRow, ClaimLineRow.claim_id == ClaimRow.id)
        # only the lines some answer matched: their account, as accounting.account_claim reads it
        .join(sums, (sums.c.claim_id == ClaimRow.id) & (sums.c.line_number == ClaimLineRow.line_number))
        .where(
            ClaimLineRow.expected_payment.is_not(None),
            ClaimRow.status.in_(("paid", "partial")),
            *claim_filters(params, actor.clinic_id),
        )
    )
    return query, sums


def _totals(session: Session, actor: Actor, params: ReportParams) -> dict[tuple[str, str], tuple[Decimal, ...]]:
    """Per payer and code: expected allowed, allowed (paid + patient + sequestration) and paid, added up in SQL."""
    query, sums = _answered_lines(session, actor, params)
    allowed = sums.c.paid + sums.c.patient + sums.c.sequestration
    grouped = query.add_columns(
        ClaimRow.payer_id,
        ClaimLineRow.code,
        func.sum(ClaimLineRow.expected_payment),
        func.sum(allowed),
        func.sum(sums.c.paid),
    ).group_by(ClaimRow.payer_id, ClaimLineRow.code)
    return {(payer, code): tuple(Decimal(v or 0) for v in values) for payer, code, *values in session.execute(grouped)}


def _priced_paid_lines(
    session: Session, actor: Actor, params: ReportParams, tolerance: Decimal = UNDERPAID_TOLERANCE
) -> list[tuple[_PricedLine, str, LineAccount]]:
    """The lines that may be underpaid, with their patient's name and account: those the payer allowed more
    than ``tolerance`` under the expected amount and denied nothing of, as ``LineAccount.underpaid`` reads a
    line (the database narrows them down; the account decides)."""
    query, sums = _answered_lines(session, actor, params)
    short = ClaimLineRow.expected_payment - (sums.c.paid + sums.c.patient + sums.c.sequestration)
    rows = session.execute(
        query.add_columns(
            ClaimRow.patient_control_number,
            ClaimRow.payer_id,
            ClaimRow.service_date,
            ClaimLineRow.line_number,
            ClaimLineRow.code,
            ClaimLineRow.units,
            ClaimLineRow.expected_payment,
            PatientRow.last_name,
            PatientRow.first_name,
            sums.c.paid,
            sums.c.patient,
            sums.c.sequestration,
            sums.c.denied,
        )
        .join(EncounterRow, EncounterRow.id == ClaimRow.encounter_id)
        .join(PatientRow, PatientRow.id == EncounterRow.patient_id)
        .where(sums.c.denied == 0, short > tolerance)
        .order_by(ClaimRow.service_date, ClaimRow.id, ClaimLineRow.line_number)
    )
    out = []
    for r in rows:
        balance = _balance(r.paid, r.patient, r.sequestration, r.denied)
        line = LineAccount(r.line_number, r.code, balance, r.expected_payment, answered=True, tolerance=tolerance)
        priced = _PricedLine(r.patient_control_number, r.payer_id, r.service_date, r.code, r.units)
        out.append((priced, f"{r.last_name}, {r.first_name}", line))
    return out


def _line_sums(clinic_id: int) -> Subquery:
    """Per claim and billed line number, what every answer that matched the line paid, put on the patient,
    sequestered and denied: their stored line figures (``services.answer_totals``) added up in SQL."""
    line = ClaimPaymentLineRow
    return (
        select(
            line.claim_id.label("claim_id"),
            line.line_number.label("line_number"),
            func.sum(line.paid).label("paid"),
            func.sum(line.deductible + line.coinsurance + line.copay + line.patient_other).label("patient"),
            func.sum(line.sequestration).label("sequestration"),
            func.sum(line.denied_amount).label("denied"),
        )
        .where(line.clinic_id == clinic_id, line.line_number.is_not(None), line.claim_id.is_not(None))
        .group_by(line.claim_id, line.line_number)
        .subquery()
    )


def _balance(paid: Any, patient: Any, sequestration: Any, denied: Any) -> Balance:
    """A line's balance as far as expected vs paid reads it: the patient's share all in ``patient_other``."""
    return Balance(
        payer_paid=Decimal(paid),
        patient_other=Decimal(patient),
        sequestration=Decimal(sequestration),
        denied=Decimal(denied),
    )


def line_balances(session: Session, clinic_id: int, where: list[ColumnElement[bool]]) -> dict[tuple[int, int], Balance]:
    """Each billed line's balance over every answer that matched it, as far as expected vs paid reads it, by
    claim and line number. ``where``: conditions on the claims."""
    fill_missing(session.connection(), clinic_id)
    sums = _line_sums(clinic_id)
    query = select(sums).join(ClaimRow, ClaimRow.id == sums.c.claim_id).where(*where)
    return {
        (r.claim_id, r.line_number): _balance(r.paid, r.patient, r.sequestration, r.denied)
        for r in session.execute(query)
    }


def _underpaid_line(claim: _PricedLine, patient: str, account: LineAccount, short: Decimal) -> UnderpaidLine:
    expected, allowed, paid = account.expected_allowed or ZERO, account.balance.allowed, account.balance.payer_paid
    payer = payer_name(claim.payer_id)
    return UnderpaidLine(
        claim.patient_control_number, patient, payer, claim.code, claim.units, claim.service_date, expected, allowed,
        paid, short,
    )  # fmt: skip


def _underpaid(priced: list[tuple[_PricedLine, str, LineAccount]]) -> list[UnderpaidLine]:
    lines = []
    for claim, patient, account in priced:
        short = account.underpaid
        if short > ZERO:
            lines.append(_underpaid_line(claim, patient, account, short))
    return lines


def underpaid_lines(
    session: Session, actor: Actor, params: ReportParams, tolerance: Decimal = UNDERPAID_TOLERANCE
) -> list[UnderpaidLine]:
    """Every line paid more than ``tolerance`` under its expected amount, with patient and payer."""
    lines = _underpaid(_priced_paid_lines(session, actor, params, tolerance))
    audit(session, actor, "read", "report", "expected-vs-paid:lines", f"{len(lines)} lines")
    return lines


@dataclass
class _Built(Report[ExpectedPaidRow]):
    """The report with the underpaid lines it was built from, so its page does not account them again."""

    underpaid: list[UnderpaidLine] = field(default_factory=list, compare=False, repr=False)


class ExpectedVsPaid(ReportDefinition[ExpectedPaidRow]):
    name = "expected-vs-paid"
    tab = "Expected vs paid"
    question = "Lines paid under the expected amount, per payer and code."
    accepts = COMMON
    columns = ("payer", "code", "expected", "allowed", "paid", "difference", "underpaid")
    tolerance = UNDERPAID_TOLERANCE

    def build(self, session: Session, actor: Actor, params: ReportParams) -> Report[ExpectedPaidRow]:
        totals: dict[tuple[str, str], list[Decimal]] = {
            key: [*sums, ZERO] for key, sums in _totals(session, actor, params).items()
        }
        underpaid: list[tuple[str, str, str, date, Decimal, Decimal]] = []
        lines: list[UnderpaidLine] = []
        for claim, patient, account in _priced_paid_lines(session, actor, params, self.tolerance):
            short = account.underpaid
            if short > ZERO:
                expected, allowed = account.expected_allowed or ZERO, account.balance.allowed
                totals[(claim.payer_id, claim.code)][3] += short
                pcn, payer = claim.patient_control_number, payer_name(claim.payer_id)
                underpaid.append((pcn, payer, claim.code, claim.service_date, expected, allowed))
                lines.append(_underpaid_line(claim, patient, account, short))
        rows = [
            ExpectedPaidRow(
                payer_name(payer),
                code,
                round(v[0], 2),
                round(v[1], 2),
                round(v[2], 2),
                round(v[1] - v[0], 2),
                round(v[3], 2),
            )
            for (payer, code), v in sorted(totals.items())
        ]
        audit(session, actor, "read", "report", self.name)
        shown = sorted(rows, key=lambda r: (r.difference, r.payer.lower(), r.code))  # the largest shortfall first
        chart = ChartModel(
            "bar",
            "Expected and paid, by payer and code",
            tuple(f"{r.payer} · {r.code}" for r in shown),
            (
                Series("Expected", tuple(float(r.expected) for r in shown)),
                Series("Paid", tuple(float(r.paid) for r in shown)),
            ),
        )
        notes = [
            f"{len(underpaid)} line(s) allowed or paid more than ${self.tolerance} under the expected amount "
            "(allowed: the payer's payment, the patient's share and sequestration)."
        ]
        notes += [
            f"underpaid: {u[0]} {u[1]} {u[2]} on {u[3]}: expected ${u[4]:.2f}, allowed ${u[5]:.2f}"
            for u in underpaid[:50]
        ]
        title = "Expected vs paid, by payer and code"
        return _Built(self.name, title, self.columns, rows, chart, params, notes, lines)

    def page(self, session: Session, actor: Actor, report: Report[ExpectedPaidRow]) -> dict[str, Any]:
        if isinstance(report, _Built) and self.tolerance == UNDERPAID_TOLERANCE:
            lines = report.underpaid
            audit(session, actor, "read", "report", "expected-vs-paid:lines", f"{len(lines)} lines")
        else:
            lines = underpaid_lines(session, actor, report.params, self.tolerance)
        by_group: dict[tuple[str, str], list[UnderpaidLine]] = defaultdict(list)
        for line in lines:
            by_group[(line.payer, line.code)].append(line)
        rows = [
            {**r._asdict(), "lines": len(by_group.get((r.payer, r.code), []))}
            for r in sorted(report.rows, key=lambda r: (r.difference, r.payer.lower(), r.code))
        ]
        groups: list[dict[str, Any]] = sorted(
            (
                {
                    "payer": payer,
                    "code": code,
                    "lines": items,
                    # The largest shortfalls on the page; every line is in the underpaid lines CSV.
                    "shown": sorted(items, key=lambda i: -i.short)[:LINES_SHOWN],
                    "short": sum((i.short for i in items), ZERO),
                }
                for (payer, code), items in by_group.items()
            ),
            key=lambda g: -g["short"],
        )
        totals: dict[str, Any] = {
            key: sum((r[key] for r in rows), ZERO) for key in ("expected", "allowed", "paid", "difference", "underpaid")
        }
        return {"rows": rows, "groups": groups, "totals": totals | {"lines": len(lines)}, "tolerance": self.tolerance}
