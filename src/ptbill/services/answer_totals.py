"""Each posted answer's accounted figures, stored beside it when it is written, so the reports add them up
in SQL instead of reading and accounting every answer's JSON on every page.

The figures are ``balances.account_of_payment``'s answer for the answer on its own (no claim: what the
A/R reports and the denial rate read), computed from the answer exactly as it is stored (its columns and
JSON read back by ``balances.stored_payment``), so a stored figure and a fresh accounting agree:

- on ``claim_payments``: the patient's share by PR reason (deductible, coinsurance, copay, other), CO-45
  contractual, CO-253 sequestration, other adjustments, denied amounts (charge and payer paid are the
  answer's own ``charge`` and ``paid``), whether the answer alone denies the claim (``denied``) and the
  group and CARC of each net denial (``denial_keys``, as the denial rate names them), and each denial as
  the classifier read it, before netting (``denial_reasons``: a claim's denials are its answers' netted);
- on ``claim_payment_lines``: one row per 835 service line with the billed line it matched (``line_number``,
  None when it matched none) and the same figures, which expected vs paid adds up per billed line.

A claim's balance over its answers is the sum of its answers' (``accounting.account_claim`` adds them the
same way), so ``SUM(...) GROUP BY claim_id`` is the claim's balance to the cent.

Writers: posting (``insert_answers``, every answer a file posts, a reversal included), the manual match
(``restate_answer``: the answer's lines now name the claim's lines) and migration 0015_answer_totals for
answers posted before it. ``fill_missing`` accounts any answer written without them (an answer written by
a path that does not store them yet) on the next read that needs them.

Which adjustments are denials is read with the shipped denial knowledge of the day the answer is written;
if that knowledge changes, answers already posted keep their reading until they are restated
(``restate_answer``), as their denial work items do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, select, update

from ptbill.domain.remittance import AdjustmentGroup, ClaimStatus
from ptbill.remittance.accounting import (
    AnswerFigures,
    Balance,
    ClaimAccount,
    account_claim,
    account_of_answers,
    denials_of,
)
from ptbill.remittance.denials import DenialReason
from ptbill.services.balances import stored_payment
from ptbill.services.bulk import insert_many
from ptbill.storage.tables import Base

PAYMENTS: Table = Base.metadata.tables["claim_payments"]
LINES: Table = Base.metadata.tables["claim_payment_lines"]

# Balance's fields after charge and payer paid, and the columns that store them.
FIGURES = (
    ("deductible", "deductible"),
    ("coinsurance", "coinsurance"),
    ("copay", "copay"),
    ("patient_other", "patient_other"),
    ("contractual", "contractual"),
    ("sequestration", "sequestration"),
    ("other_adjustments", "other_adjusted"),
    ("denied", "denied_amount"),
)
FIGURE_COLUMNS = tuple(column for _, column in FIGURES)


def _figures(balance: Balance) -> dict[str, Decimal]:
    return {column: getattr(balance, field) for field, column in FIGURES}


def answer_figures(answer: Mapping[Any, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The figure columns of one answer and its line rows (without ids), from the answer's stored columns
    (``status_code``, ``patient_control_number``, ``charge``, ``paid``, ``patient_responsibility``,
    ``adjustments``, ``lines``, ``remarks``)."""
    payment, matched = stored_payment(
        answer["status_code"],
        answer["patient_control_number"],
        answer["charge"],
        answer["paid"],
        answer["patient_responsibility"],
        answer["adjustments"],
        answer["lines"],
        answer.get("remarks") or (),
    )
    account = account_claim([payment], None, matched=[matched])  # balances.account_of_payment, claim None
    columns: dict[str, Any] = _figures(account.balance)
    columns["denied"] = account.denied
    columns["denial_keys"] = [f"{r.group.value if r.group else ''}-{r.carc}" for r in account.denial_reasons]
    columns["denial_reasons"] = [reason_json(r) for r in denials_of(payment)]
    lines = []
    # Without a claim's lines every service line is accounted on its own, in the answer's order.
    for position, (number, line) in enumerate(zip(matched, account.lines, strict=True)):
        lines.append(
            {
                "position": position,
                "line_number": number,
                "code": line.code[:48],
                "charge": line.balance.charge,
                "paid": line.balance.payer_paid,
                **_figures(line.balance),
            }
        )
    return columns, lines


def _line_rows(answer_id: int, answer: Mapping[Any, Any], lines: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    head = {"clinic_id": answer["clinic_id"], "claim_payment_id": answer_id, "claim_id": answer["claim_id"]}
    return [{**head, **line} for line in lines]


def insert_answers(connection: Connection, answers: list[dict[str, Any]]) -> None:
    """Insert posting's answers (``claim_payments`` rows as dicts) with their figures and line rows."""
    if not answers:
        return
    payments = PAYMENTS
    names = ("remittance_id", "patient_control_number", "payer_claim_number", "status_code")
    pending: dict[tuple[Any, ...], tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for answer in answers:
        figures, lines = answer_figures(answer)
        answer.update(figures)
        pending[tuple(answer[name] for name in names)] = (answer, lines)
    insert_many(connection, payments, answers)
    rows: list[dict[str, Any]] = []
    for remittance_id in sorted({a["remittance_id"] for a in answers}):
        query = select(payments.c.id, *(payments.c[name] for name in names)).where(
            payments.c.remittance_id == remittance_id
        )
        for answer_id, *key in connection.execute(query):
            written = pending.get(tuple(key))  # one of these answers (the remittance's earlier ones have rows)
            if written is not None:
                rows += _line_rows(answer_id, *written)
    insert_many(connection, LINES, rows)


def restate_answer(connection: Connection, answer_id: int) -> None:
    """Store one answer's figures again from its row as it is now (after a manual match)."""
    payments = PAYMENTS
    row = connection.execute(select(payments).where(payments.c.id == answer_id)).mappings().one()
    columns, lines = answer_figures(row)
    connection.execute(update(payments).where(payments.c.id == answer_id).values(columns))
    lines_table = LINES
    connection.execute(delete(lines_table).where(lines_table.c.claim_payment_id == answer_id))
    insert_many(connection, lines_table, _line_rows(answer_id, row, lines))


def fill_missing(connection: Connection, clinic_id: int) -> int:
    """Accounts the clinic's answers stored without their figures; how many there were."""
    payments = PAYMENTS
    missing = list(
        connection.scalars(
            select(payments.c.id).where(and_(payments.c.clinic_id == clinic_id, payments.c.denied.is_(None)))
        )
    )
    for answer_id in missing:
        restate_answer(connection, answer_id)
    return len(missing)


def reason_json(reason: DenialReason) -> dict[str, Any]:
    return {
        "carc": reason.carc,
        "rarcs": list(reason.rarcs),
        "group": reason.group.value if reason.group else None,
        "reason": reason.reason,
        "next_action": reason.next_action,
        "rules": list(reason.rules),
        "is_denial": reason.is_denial,
        "appeal_deadline_days": reason.appeal_deadline_days,
        "amount": None if reason.amount is None else str(reason.amount),
        "sources": list(reason.sources),
    }


def reason_of(raw: Mapping[str, Any]) -> DenialReason:
    return DenialReason(
        raw["carc"],
        tuple(raw["rarcs"]),
        AdjustmentGroup(raw["group"]) if raw["group"] else None,
        raw["reason"],
        raw["next_action"],
        tuple(raw["rules"]),
        raw["is_denial"],
        raw["appeal_deadline_days"],
        None if raw["amount"] is None else Decimal(raw["amount"]),
        tuple(raw["sources"]),
    )


def _status(code: str) -> ClaimStatus:
    try:
        return ClaimStatus(code)
    except ValueError:
        return ClaimStatus.PRIMARY  # as balances.stored_payment reads an unknown code


def stored_accounts(connection: Connection, clinic_id: int, where: Sequence[Any]) -> dict[int, ClaimAccount]:
    """Each claim's account (``where``: conditions on ``claims``) from its answers' stored figures:
    balance, denied or not and for what, as ``accounting.account_claim`` reads them, without reading any
    answer's JSON but its denials (``accounting.account_of_answers``: no lines, no expected amounts)."""
    fill_missing(connection, clinic_id)
    p = PAYMENTS
    claims = Base.metadata.tables["claims"]
    query = (
        select(
            p.c.claim_id, p.c.status_code, p.c.charge, p.c.paid, *(p.c[c] for c in FIGURE_COLUMNS), p.c.denial_reasons
        )
        .join(claims, claims.c.id == p.c.claim_id)
        .where(p.c.clinic_id == clinic_id, *where)
        .order_by(p.c.id)
    )
    answers: dict[int, list[AnswerFigures]] = {}
    for claim_id, status_code, *figures, reasons in connection.execute(query):
        balance = Balance(*(Decimal(f) for f in figures))
        denials = tuple(reason_of(r) for r in reasons or ())
        answers.setdefault(claim_id, []).append(AnswerFigures(_status(status_code), balance, denials))
    return {claim_id: account_of_answers(found) for claim_id, found in answers.items()}
