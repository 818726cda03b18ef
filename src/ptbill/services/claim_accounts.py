"""Claims' accounts, with their lines, for a caller that reads thousands at once: the same
``balances.account_claim`` reading, remembered per session.

The reports and the denial summary no longer need it: they add up each answer's figures stored when it was
posted (``services.answer_totals``). A posted answer never changes once posted (a later answer, a reversal
included, is a new row), so a claim's account is remembered under its id, its expected amounts (the
claim's and each line's) and the key columns of its answers (id, status code, paid, remittance); a new
answer or a repriced line is a new key. A read takes only those columns, and the answers' JSON only for
claims not accounted before in the session.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ptbill.remittance.accounting import ClaimAccount, Expected, ExpectedLine, account_claim
from ptbill.services.balances import account_of_payment, stored_payment
from ptbill.storage.tables import ClaimLineRow, ClaimPaymentRow, ClaimRow, RemittanceRow

MEMO_LIMIT = 100_000  # claims (or answers) remembered per process

ExpectedKey = tuple[Decimal | None, tuple[tuple[int, str, Decimal | None], ...]]
AnswerKey = tuple[Any, ...]  # (id, status code, paid, remittance id, when the remittance was posted)

# what ``balances.stored_payment`` reads of an answer, in its order
_STORED = (
    ClaimPaymentRow.status_code,
    ClaimPaymentRow.patient_control_number,
    ClaimPaymentRow.charge,
    ClaimPaymentRow.paid,
    ClaimPaymentRow.patient_responsibility,
    ClaimPaymentRow.adjustments,
    ClaimPaymentRow.lines,
    ClaimPaymentRow.remarks,
)

_CLAIMS: dict[tuple[tuple[int, int], int], tuple[ExpectedKey, tuple[AnswerKey, ...], ClaimAccount]] = {}
_ANSWERS: dict[tuple[Any, ...], tuple[ClaimAccount, tuple[str, ...]]] = {}
_SESSIONS = itertools.count(1)


def memo_scope(session: Session, clinic_id: int) -> tuple[int, int]:
    """What a remembered account is kept under besides its own columns: the session (its transaction may roll
    back, and then ids and posting times are handed out again) and the clinic. A page's several reads of the
    same answers share it; a new request reads them again."""
    token = session.info.get("ptbill.memo")
    if token is None:
        token = session.info["ptbill.memo"] = next(_SESSIONS)
    return (int(token), clinic_id)


def expected_amounts(session: Session, where: Sequence[ColumnElement[bool]]) -> dict[int, ExpectedKey]:
    """Each claim's expected allowed amount and its lines (number, code, expected), of the claims ``where``
    selects, in claim order (one query of columns)."""
    out: dict[int, tuple[Decimal | None, list[tuple[int, str, Decimal | None]]]] = {}
    query = (
        select(
            ClaimRow.id,
            ClaimRow.expected_payment,
            ClaimLineRow.line_number,
            ClaimLineRow.code,
            ClaimLineRow.expected_payment,
        )
        .outerjoin(ClaimLineRow, ClaimLineRow.claim_id == ClaimRow.id)
        .where(*where)
        .order_by(ClaimRow.id, ClaimLineRow.line_number)
    )
    for claim_id, claim_expected, number, code, line_expected in session.execute(query):
        entry = out.setdefault(claim_id, (claim_expected, []))
        if number is not None:
            entry[1].append((number, code, line_expected))
    return {k: (v[0], tuple(v[1])) for k, v in out.items()}


def _answer_keys(
    session: Session, clinic_id: int, where: Sequence[ColumnElement[bool]]
) -> dict[int | None, list[AnswerKey]]:
    keys: dict[int | None, list[AnswerKey]] = {}
    query = (
        select(
            ClaimPaymentRow.claim_id,
            ClaimPaymentRow.id,
            ClaimPaymentRow.status_code,
            ClaimPaymentRow.paid,
            ClaimPaymentRow.remittance_id,
            RemittanceRow.posted_at,
        )
        .join(ClaimRow, ClaimRow.id == ClaimPaymentRow.claim_id)
        .join(RemittanceRow, RemittanceRow.id == ClaimPaymentRow.remittance_id)
        .where(ClaimPaymentRow.clinic_id == clinic_id, *where)
        .order_by(ClaimPaymentRow.id)
    )
    for claim_id, *key in session.execute(query):
        keys.setdefault(claim_id, []).append(tuple(key))
    return keys


def claim_accounts(
    session: Session, clinic_id: int, where: Sequence[ColumnElement[bool]], expected: dict[int, ExpectedKey]
) -> dict[int, ClaimAccount]:
    """The account of each claim of ``expected`` over all its posted answers, as ``balances.accounts_for``
    reads it. ``where``: conditions on the claims that hold them (a join, not an IN over thousands of ids)."""
    answers = _answer_keys(session, clinic_id, where)
    scope = memo_scope(session, clinic_id)
    out: dict[int, ClaimAccount] = {}
    missing = []
    for claim_id, amounts in expected.items():
        known = _CLAIMS.get((scope, claim_id))
        if known is not None and known[0] == amounts and known[1] == tuple(answers.get(claim_id, ())):
            out[claim_id] = known[2]
        else:
            missing.append(claim_id)
    if len(_CLAIMS) + len(missing) > MEMO_LIMIT:
        _CLAIMS.clear()
    posted: dict[int, list[Any]] = {claim_id: [] for claim_id in missing}
    p = ClaimPaymentRow
    columns = (p.claim_id, p.id, p.status_code, p.paid, p.remittance_id, RemittanceRow.posted_at, *_STORED)
    for start in range(0, len(missing), 1000):
        query = (
            select(*columns)  # columns, not ORM rows: a page accounts thousands of answers
            .join(RemittanceRow, RemittanceRow.id == p.remittance_id)
            .where(p.clinic_id == clinic_id, p.claim_id.in_(missing[start : start + 1000]))
            .order_by(p.id)
        )
        for row in session.execute(query):
            posted[row[0]].append(row)
    for claim_id, rows in posted.items():
        claim_expected, lines = expected[claim_id]
        read = [stored_payment(*row[6:]) for row in rows]
        account = account_claim(
            [p for p, _ in read],
            Expected(claim_expected, tuple(ExpectedLine(n, c, e) for n, c, e in lines)),
            matched=[m for _, m in read],
        )
        # remembered under the answers as read with their JSON (one posted between the two queries is a miss)
        keys = tuple(tuple(row[1:6]) for row in rows)
        _CLAIMS[(scope, claim_id)] = (expected[claim_id], keys, account)
        out[claim_id] = account
    return out


def answer_accounts(
    session: Session, clinic_id: int, keys: Iterable[AnswerKey]
) -> dict[int, tuple[ClaimAccount, tuple[str, ...]]]:
    """Each posted answer on its own (``balances.account_of_payment``) and its claim-level remarks, by id;
    ``keys``: (id, status code, paid, remittance id, posted at)."""
    scope = memo_scope(session, clinic_id)
    wanted = {k[0]: (scope, *k) for k in keys}
    missing = [answer_id for answer_id, key in wanted.items() if key not in _ANSWERS]
    if len(_ANSWERS) + len(missing) > MEMO_LIMIT:
        _ANSWERS.clear()
        missing = list(wanted)
    for start in range(0, len(missing), 1000):
        query = (
            select(ClaimPaymentRow, RemittanceRow.posted_at)
            .join(RemittanceRow, RemittanceRow.id == ClaimPaymentRow.remittance_id)
            .where(ClaimPaymentRow.clinic_id == clinic_id, ClaimPaymentRow.id.in_(missing[start : start + 1000]))
        )
        for row, posted_at in session.execute(query):
            key = (scope, row.id, row.status_code, row.paid, row.remittance_id, posted_at)
            _ANSWERS[key] = (account_of_payment(row), tuple(row.remarks))
            wanted[row.id] = key
    return {answer_id: _ANSWERS[key] for answer_id, key in wanted.items() if key in _ANSWERS}
