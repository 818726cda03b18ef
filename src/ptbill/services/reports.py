"""What each payer really pays, what it underpays, how often it denies, and how good the notes are.

Each report returns plain rows (for the web page, CSV export and the terminal) built from the
clinic's own claims and posted remittances; the seed guide's 97012 table is shown beside the
clinic's actual payments.
"""

from __future__ import annotations

import csv
import io
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.reference.catalog import default_catalog
from ptbill.rules.checks.traction import SECTION as TRACTION_SECTION
from ptbill.rules.registry import all_rules
from ptbill.services.app import Actor, audit, check_for_clinic
from ptbill.storage.tables import ClaimLineRow, ClaimPaymentRow, ClaimRow, EncounterRow, RemittanceRow, UserRow

ZERO = Decimal("0.00")
CENTS = Decimal("0.01")
REPORTS = ("reimbursement-97012", "expected-vs-paid", "denial-rate", "best-payer", "documentation-audit")


@dataclass
class Report:
    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    notes: list[str] = field(default_factory=list)
    chart: dict[str, Any] | None = None  # {"kind": "bar"|"line", "x": [...], "series": {label: [...]}}

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_csv_cell(v) for v in row])
        return out.getvalue()


def _csv_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _payer_name(payer_id: str) -> str:
    payer = default_catalog().payer(payer_id)
    return payer.name if payer else payer_id


def reimbursement_97012(session: Session, actor: Actor) -> Report:
    """The seed guide's average for 97012 beside what this clinic was actually reimbursed, per payer.

    Reimbursed = what the payer paid plus the patient's share (deductible, coinsurance, copay) on the
    line: the allowed amount, which is what a payer's rate means. 97012 is one unit a day.
    """
    catalog = default_catalog()
    paid: dict[str, list[Decimal]] = defaultdict(list)
    query = (
        select(ClaimRow.payer_id, ClaimPaymentRow.lines, ClaimPaymentRow.adjustments)
        .join(ClaimRow, ClaimRow.id == ClaimPaymentRow.claim_id)
        .where(ClaimPaymentRow.clinic_id == actor.clinic_id, ClaimPaymentRow.status_code != "22")
    )
    for payer_id, lines, adjustments in session.execute(query):
        for line in lines:
            if line.get("code") != "97012" or Decimal(str(line.get("paid", "0"))) <= 0:
                continue
            share = sum(
                (
                    Decimal(str(a["amount"]))
                    for a in adjustments
                    if a.get("level") == "line" and a.get("code") == "97012" and a.get("group") == "PR"
                ),
                ZERO,
            )
            paid[payer_id].append(Decimal(str(line["paid"])) + share)
    rows = []
    for payer_id, payer in catalog.payers().items():
        seed = catalog.snapshot(payer_id, date.today()).resolved("fees.seed_average.97012")
        amounts = paid.get(payer_id, [])
        actual = (sum(amounts, ZERO) / len(amounts)).quantize(CENTS) if amounts else None
        seed_value = Decimal(str(seed.value)).quantize(CENTS) if seed else None
        difference = (actual - seed_value) if actual is not None and seed_value is not None else None
        rows.append([payer.name, payer.type.value, seed_value, actual, len(amounts), difference])
    rows.sort(key=lambda r: (r[3] is None, -(r[3] or ZERO)))
    audit(session, actor, "read", "report", "reimbursement-97012")
    with_data = [r for r in rows if r[3] is not None]
    return Report(
        "reimbursement-97012",
        "Reimbursement for 97012 by payer: the guide's table beside what you were reimbursed",
        ["payer", "type", "guide average", "your average reimbursed", "paid lines", "difference"],
        rows,
        notes=[
            "Guide average: the billing guide's 25-payer table (undated). Your average: per paid 97012 line, "
            "what the payer paid plus the patient's share (the allowed amount)."
        ],
        chart={
            "kind": "bar",
            "x": [r[0] for r in with_data],
            "series": {
                "guide average": [float(r[2] or 0) for r in with_data],
                "your average reimbursed": [float(r[3]) for r in with_data],
            },
        },
    )


UNDERPAID_TOLERANCE = Decimal("0.50")  # a line is underpaid when paid more than this below its expected amount


def _priced_paid_lines(session: Session, actor: Actor) -> Any:
    """Paid or partly paid claim lines that had an expected amount, with their claim and note."""
    return session.execute(
        select(ClaimRow, ClaimLineRow, EncounterRow.document)
        .join(ClaimLineRow, ClaimLineRow.claim_id == ClaimRow.id)
        .join(EncounterRow, EncounterRow.id == ClaimRow.encounter_id)
        .where(
            ClaimRow.clinic_id == actor.clinic_id,
            ClaimRow.status.in_(("paid", "partial")),
            ClaimLineRow.expected_payment.is_not(None),
        )
        .order_by(ClaimRow.service_date, ClaimRow.id, ClaimLineRow.line_number)
    )


def underpaid_lines(session: Session, actor: Actor, tolerance: Decimal = UNDERPAID_TOLERANCE) -> list[dict[str, Any]]:
    """Every line paid more than ``tolerance`` under its expected amount, with patient and payer."""
    lines = []
    for claim, line, document in _priced_paid_lines(session, actor):
        expected, paid = Decimal(line.expected_payment), Decimal(line.paid_amount or 0)
        if paid + tolerance < expected:
            patient = document.get("patient") or {}
            lines.append(
                {
                    "claim": claim.patient_control_number,
                    "patient": f"{patient.get('last_name', '')}, {patient.get('first_name', '')}".strip(", "),
                    "payer": _payer_name(claim.payer_id),
                    "code": line.code,
                    "units": line.units,
                    "service_date": claim.service_date,
                    "expected": expected,
                    "paid": paid,
                    "short": expected - paid,
                }
            )
    audit(session, actor, "read", "report", "expected-vs-paid:lines", f"{len(lines)} lines")
    return lines


def expected_vs_paid(session: Session, actor: Actor, tolerance: Decimal = UNDERPAID_TOLERANCE) -> Report:
    """Lines paid less than the expected amount (beyond a tolerance), and totals per payer and code."""
    totals: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    underpaid: list[list[Any]] = []
    for claim, line, _document in _priced_paid_lines(session, actor):
        expected = Decimal(line.expected_payment)
        paid = Decimal(line.paid_amount or 0)
        bucket = totals[(claim.payer_id, line.code)]
        bucket[0] += expected
        bucket[1] += paid
        if paid + tolerance < expected:
            bucket[2] += expected - paid
            underpaid.append(
                [
                    claim.patient_control_number,
                    _payer_name(claim.payer_id),
                    line.code,
                    claim.service_date,
                    expected,
                    paid,
                    expected - paid,
                ]
            )
    rows = [
        [_payer_name(payer), code, round(v[0], 2), round(v[1], 2), round(v[1] - v[0], 2), round(v[2], 2)]
        for (payer, code), v in sorted(totals.items())
    ]
    audit(session, actor, "read", "report", "expected-vs-paid")
    report = Report(
        "expected-vs-paid",
        "Expected vs paid, by payer and code",
        ["payer", "code", "expected", "paid", "difference", "underpaid"],
        rows,
        notes=[f"{len(underpaid)} line(s) paid more than ${tolerance} under the expected amount."],
    )
    report.chart = {
        "kind": "bar",
        "x": [f"{r[0]} {r[1]}" for r in rows],
        "series": {"expected": [float(r[2]) for r in rows], "paid": [float(r[3]) for r in rows]},
    }
    report.notes += [
        f"underpaid: {u[0]} {u[1]} {u[2]} on {u[3]}: expected ${u[4]:.2f}, paid ${u[5]:.2f}" for u in underpaid[:50]
    ]
    return report


def denial_rate(session: Session, actor: Actor) -> Report:
    """Share of adjudicated claims denied, by payer and month, with the top reasons."""
    query = (
        select(ClaimPaymentRow, RemittanceRow.payment_date, ClaimRow.payer_id)
        .join(RemittanceRow, RemittanceRow.id == ClaimPaymentRow.remittance_id)
        .join(ClaimRow, ClaimRow.id == ClaimPaymentRow.claim_id)
        .where(ClaimPaymentRow.clinic_id == actor.clinic_id, ClaimPaymentRow.status_code != "22")
    )
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    reasons: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    months: set[str] = set()
    for payment, paid_on, payer_id in session.execute(query):
        month = paid_on.strftime("%Y-%m") if paid_on else "unknown"
        months.add(month)
        key = (payer_id, month)
        counts[key][0] += 1
        if payment.status_code == "4" or Decimal(payment.paid) == ZERO:
            counts[key][1] += 1
            for adjustment in payment.adjustments:
                if adjustment["group"] in ("CO", "PI", "OA") and adjustment["reason"] != "45":
                    reasons[key][f"{adjustment['group']}-{adjustment['reason']}"] += 1
            for remark in payment.remarks:
                reasons[key][remark] += 1
    rows = []
    for (payer_id, month), (total, denied) in sorted(counts.items()):
        top = sorted(reasons[(payer_id, month)].items(), key=lambda kv: -kv[1])[:3]
        rows.append(
            [
                _payer_name(payer_id),
                month,
                total,
                denied,
                round(100 * denied / total, 1) if total else 0,
                ", ".join(f"{code} ({n})" for code, n in top),
            ]
        )
    ordered_months = sorted(months)
    by_month = {m: [0, 0] for m in ordered_months}
    for (_, month), (total, denied) in counts.items():
        by_month[month][0] += total
        by_month[month][1] += denied
    audit(session, actor, "read", "report", "denial-rate")
    return Report(
        "denial-rate",
        "Denial rate by payer and month",
        ["payer", "month", "claims", "denied", "denied %", "top reasons"],
        rows,
        chart={
            "kind": "line",
            "x": ordered_months,
            "series": {"denied %": [round(100 * d / t, 1) if t else 0 for t, d in by_month.values()]},
        },
    )


def best_payer(session: Session, actor: Actor, code: str = "97012") -> Report:
    """Which payer pays best for a code: average paid per unit, from posted payments."""
    query = (
        select(ClaimRow.payer_id, ClaimLineRow.paid_amount, ClaimLineRow.units)
        .join(ClaimLineRow, ClaimLineRow.claim_id == ClaimRow.id)
        .where(ClaimRow.clinic_id == actor.clinic_id, ClaimLineRow.code == code, ClaimLineRow.paid_amount > 0)
    )
    amounts: dict[str, list[Decimal]] = defaultdict(list)
    for payer_id, paid, units in session.execute(query):
        amounts[payer_id].append(Decimal(paid) / max(units, 1))
    rows = sorted(
        (
            [
                _payer_name(p),
                len(v),
                (sum(v, ZERO) / len(v)).quantize(CENTS),
                min(v).quantize(CENTS),
                max(v).quantize(CENTS),
            ]
            for p, v in amounts.items()
        ),
        key=lambda r: -r[2],
    )
    audit(session, actor, "read", "report", f"best-payer:{code}")
    return Report(
        "best-payer",
        f"Which payer pays best for {code}",
        ["payer", "paid lines", "average per unit", "lowest", "highest"],
        rows,
        chart={"kind": "bar", "x": [r[0] for r in rows], "series": {"average per unit": [float(r[2]) for r in rows]}},
    )


# A month (2026-03) or a quarter (2026-Q1), in ASCII digits: what the audit and its pages accept.
PERIOD = re.compile(r"^((?:19|20)[0-9][0-9])-(?:(0[1-9]|1[0-2])|[Qq]([1-4]))$")
PROCEDURE_CODE = re.compile(r"^(?:[0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$")  # CPT (97012, 0001F, 0101T), HCPCS (G0283)


def period_bounds(period: str) -> tuple[date, date]:
    """'2026-03' (a month) or '2026-Q1' (a quarter) → [start, end); ValueError naming anything else."""
    match = PERIOD.match(period)
    if not match:
        raise ValueError(f"{period!r} is not a month (2026-03) or a quarter (2026-Q1)")
    year = int(match.group(1))
    if match.group(3):
        first = 3 * int(match.group(3)) - 2
        start = date(year, first, 1)
        end = date(year + (first == 10), 1 if first == 10 else first + 3, 1)
    else:
        month = int(match.group(2))
        start = date(year, month, 1)
        end = date(year + (month == 12), 1 if month == 12 else month + 1, 1)
    return start, end


def documentation_audit(
    session: Session, actor: Actor, periods: Sequence[str], per_therapist: int = 5, seed: int = 0
) -> Report:
    """A random sample of N signed notes per therapist per period, scored against the documentation rules."""
    documentation_rules = sorted({r.id for r in all_rules() if r.section == TRACTION_SECTION})
    users = {u.id: u.name for u in session.scalars(select(UserRow).where(UserRow.clinic_id == actor.clinic_id))}
    rows: list[list[Any]] = []
    trend: dict[str, float] = {}
    rng = random.Random(seed)
    for period in periods:
        start, end = period_bounds(period)
        notes = list(
            session.scalars(
                select(EncounterRow)
                .where(
                    EncounterRow.clinic_id == actor.clinic_id,
                    EncounterRow.status.in_(("signed", "billed")),  # the audit judges finished notes
                    EncounterRow.date_of_service >= start,
                    EncounterRow.date_of_service < end,
                )
                .order_by(EncounterRow.id)
            )
        )
        by_therapist: dict[int, list[EncounterRow]] = defaultdict(list)
        for note in notes:
            by_therapist[note.therapist_user_id or 0].append(note)
        failures: dict[tuple[int, str], int] = defaultdict(int)
        sampled_total = failed_total = 0
        for therapist_id, own in sorted(by_therapist.items()):
            sample = rng.sample(own, min(per_therapist, len(own)))
            for note in sample:
                report = check_for_clinic(
                    session, actor.clinic_id, encounter_from_dict(note.document, f"encounter {note.id}")
                )
                fired = {f.rule for f in report.findings if f.rule in documentation_rules}
                for rule_id in fired:
                    failures[(therapist_id, rule_id)] += 1
                failed_total += bool(fired)
            sampled_total += len(sample)
            for rule_id in documentation_rules:
                count = failures[(therapist_id, rule_id)]
                if count:
                    rows.append(
                        [
                            period,
                            users.get(therapist_id, "unknown"),
                            rule_id,
                            count,
                            len(sample),
                            round(100 * count / len(sample), 1),
                        ]
                    )
        trend[period] = round(100 * failed_total / sampled_total, 1) if sampled_total else 0.0
        audit(session, actor, "read", "report", f"documentation-audit:{period}", f"{sampled_total} notes sampled")
    rule_totals: dict[str, int] = defaultdict(int)
    for row in rows:
        rule_totals[row[2]] += row[3]
    return Report(
        "documentation-audit",
        f"Documentation audit: {per_therapist} random notes per therapist per period",
        ["period", "therapist", "rule", "notes failing", "notes sampled", "failure %"],
        rows,
        notes=[
            f"{period}: {share}% of sampled notes failed at least one documentation rule"
            for period, share in trend.items()
        ]
        + [
            f"{rule}: {n} failing notes in all periods"
            for rule, n in sorted(rule_totals.items(), key=lambda kv: -kv[1])
        ],
        chart={"kind": "line", "x": list(trend), "series": {"notes failing %": list(trend.values())}},
    )


def chart_png(report: Report) -> bytes:
    """The report's chart as a PNG (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chart = report.chart or {"kind": "bar", "x": [], "series": {}}
    figure, axis = plt.subplots(figsize=(11, 5), dpi=100)
    x = list(range(len(chart["x"])))
    series = list(chart["series"].items())
    if chart["kind"] == "line":
        for label, values in series:
            axis.plot(chart["x"], values, marker="o", label=label)
    else:
        width = 0.8 / max(len(series), 1)
        for index, (label, values) in enumerate(series):
            axis.bar([i + index * width for i in x], values, width=width, label=label)
        axis.set_xticks([i + width * (len(series) - 1) / 2 for i in x], chart["x"], rotation=45, ha="right", fontsize=8)
    axis.set_title(report.title, fontsize=11)
    axis.grid(axis="y", alpha=0.3)
    if series:
        axis.legend(fontsize=8)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    return out.getvalue()
