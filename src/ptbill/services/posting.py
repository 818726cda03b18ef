"""Posting an 835 remittance onto the clinic's claims.

Claims are matched by patient control number (CLP01 echoes our CLM01); lines by code, date of
service and modifiers, tolerating a payer that drops or reorders modifiers. A remittance that does not
balance is refused unless the caller accepts it explicitly, which is audited. Posting is idempotent,
keyed by payer, trace number and claim; the caller's transaction makes one file post whole or not at
all. A file's changes are computed in memory and written in a few bulk statements, so a 50,000-claim
remittance posts in seconds; the claims it pays are locked first, so two files paying the same claims
at the same moment are applied one after the other and neither payment is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, String, func, select
from sqlalchemy.orm import Session

from ptbill.domain.errors import PtbillError
from ptbill.domain.remittance import ClaimPayment, Remittance, ServicePayment
from ptbill.domain.status import ClaimState, refusal
from ptbill.domain.vocabulary import BILLERS
from ptbill.remittance.accounting import ClaimAccount, Expected, ExpectedLine, Outcome, account_claim
from ptbill.remittance.x12_835.reader import balance_problems
from ptbill.services.access import Actor, ConflictError, require_role
from ptbill.services.answer_json import adjustments_json, lines_json
from ptbill.services.answer_totals import insert_answers
from ptbill.services.audit import audit
from ptbill.services.balances import stored_payment
from ptbill.services.bulk import among, bulk_update, insert_many
from ptbill.services.cob_posting import after_posting, routed
from ptbill.services.denial_items import open_denial_items
from ptbill.services.provider_adjustments import record_provider_adjustments
from ptbill.storage.session import dialect_insert
from ptbill.storage.tables import Base, ClaimLineRow, ClaimPaymentRow, ClaimRow, RemittanceRow

ZERO = Decimal("0.00")
POSTERS = BILLERS
_ANSWERED = frozenset({ClaimState.PAID, ClaimState.PARTIAL, ClaimState.DENIED, ClaimState.REVERSED})


class UnbalancedRemittanceError(PtbillError):
    """The 835's amounts do not add up; ``problems`` names each amount that disagrees. Nothing was posted."""

    def __init__(self, source_name: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{source_name} does not balance, so nothing was posted: " + "; ".join(problems))


@dataclass
class PostingSummary:
    remittances: int = 0
    claims_posted: int = 0
    claims_already_posted: int = 0
    claims_unmatched: list[str] = field(default_factory=list)
    paid: Decimal = ZERO
    adjusted: Decimal = ZERO
    denied: int = 0
    patient_responsibility: Decimal = ZERO
    reversals: int = 0
    provider_adjustments: Decimal = ZERO
    warnings: list[str] = field(default_factory=list)
    remittance_ids: list[int] = field(default_factory=list)  # the payments (checks/EFTs) the file posted to

    @property
    def claims_matched(self) -> int:
        return self.claims_posted - len(self.claims_unmatched)

    def add(self, other: PostingSummary) -> None:
        self.remittances += other.remittances
        self.claims_posted += other.claims_posted
        self.claims_already_posted += other.claims_already_posted
        self.claims_unmatched += other.claims_unmatched
        self.paid += other.paid
        self.adjusted += other.adjusted
        self.denied += other.denied
        self.patient_responsibility += other.patient_responsibility
        self.reversals += other.reversals
        self.provider_adjustments += other.provider_adjustments
        self.warnings += other.warnings
        self.remittance_ids += [i for i in other.remittance_ids if i not in self.remittance_ids]


@dataclass
class _LineState:
    id: int
    line_number: int
    code: str
    modifiers: list[str]
    paid_amount: Decimal
    expected_payment: Decimal | None = None


@dataclass
class _ClaimState:
    """The posting-relevant columns of one claim and its lines: updated in memory, written in bulk."""

    id: int
    paid_amount: Decimal
    patient_responsibility: Decimal
    expected_payment: Decimal | None
    payer_claim_number: str | None
    status: str
    lines: list[_LineState] = field(default_factory=list)
    changed: bool = False
    # The payer's earlier answers on the claim (and the billed line each of their lines matched).
    earlier: list[tuple[ClaimPayment, tuple[int | None, ...]]] = field(default_factory=list)

    def account(self, payment: ClaimPayment, matched: tuple[int | None, ...]) -> ClaimAccount:
        """The claim's account with this answer added to the earlier ones."""
        expected = Expected(
            self.expected_payment,
            tuple(ExpectedLine(line.line_number, line.code, line.expected_payment) for line in self.lines),
        )
        payments = [p for p, _ in self.earlier] + [payment]
        return account_claim(payments, expected, matched=[m for _, m in self.earlier] + [matched])


@dataclass
class Writes:
    payments: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)


def _payer_key(remittance: Remittance) -> str:
    return (remittance.payer_id or remittance.payer_name or "unknown payer")[:80]


def _match_line(lines: list[_LineState], service: ServicePayment, taken: set[int]) -> _LineState | None:
    """The billed line a paid line answers: same code, then the best modifier overlap, in billing order."""
    code = service.billed_code
    candidates = [line for line in lines if line.code == code and line.id not in taken]
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    sent = set(service.original_modifiers or service.modifiers)
    # Payers drop or reorder modifiers: prefer a line whose modifiers include what came back.
    candidates.sort(
        key=lambda line: (not sent <= set(line.modifiers), -len(sent & set(line.modifiers)), line.line_number)
    )
    return candidates[0]


_STATE_OF = {
    Outcome.PAID: ClaimState.PAID,
    Outcome.UNDERPAID: ClaimState.PARTIAL,
    Outcome.PARTLY_DENIED: ClaimState.PARTIAL,
    Outcome.DENIED: ClaimState.DENIED,
    Outcome.REVERSED: ClaimState.REVERSED,
}


def _status_after(account: ClaimAccount) -> ClaimState:
    """The claim's status is what ``remittance.accounting`` reads in all the payer's answers so far."""
    return _STATE_OF[account.outcome]


def _claim_states(session: Session, actor: Actor, numbers: set[str]) -> dict[str, _ClaimState]:
    """The clinic's claims for these control numbers, locked, with their lines, in a few Core queries."""
    connection = session.connection()
    claims = ClaimRow.__table__
    id_of: dict[str, int] = {}  # the control number as the 835 sent it -> claim id
    wanted = sorted(numbers)
    ours = select(claims.c.id, claims.c.patient_control_number).where(claims.c.clinic_id == actor.clinic_id)
    for condition in among(connection, claims.c.patient_control_number, wanted):
        for claim_id, number in connection.execute(ours.where(condition)):
            id_of[number] = claim_id
    missing = {n.upper(): n for n in wanted if n not in id_of}
    # Some payers upper-case the control number they echo back.
    for condition in among(connection, func.upper(claims.c.patient_control_number, type_=String), sorted(missing)):
        for claim_id, number in connection.execute(ours.where(condition)):
            id_of[missing[number.upper()]] = claim_id
    by_id = claim_states_by_id(connection, set(id_of.values()))
    return {number: by_id[claim_id] for number, claim_id in id_of.items()}


def claim_states_by_id(connection: Connection, claim_ids: Iterable[int]) -> dict[int, _ClaimState]:
    """These claims locked, with their lines and the payer's earlier answers (also for a manual match)."""
    claims, lines = ClaimRow.__table__, ClaimLineRow.__table__
    # Amounts are read only once the claims are locked (FOR UPDATE on PostgreSQL; SQLite has a single
    # writer already), so a payment another file posted meanwhile is added to, never overwritten. Every
    # writer of claims locks them in id order, so two of them wait for each other instead of deadlocking.
    by_id: dict[int, _ClaimState] = {}
    ids = sorted(set(claim_ids))
    columns = (
        claims.c.id,
        claims.c.paid_amount,
        claims.c.patient_responsibility,
        claims.c.expected_payment,
        claims.c.payer_claim_number,
        claims.c.status,
    )
    for condition in among(connection, claims.c.id, ids):
        query = select(*columns).where(condition).order_by(claims.c.id).with_for_update()
        for claim_id, paid, responsibility, expected, payer_claim, status in connection.execute(query):
            by_id[claim_id] = _ClaimState(claim_id, paid or ZERO, responsibility or ZERO, expected, payer_claim, status)
    line_columns = (
        lines.c.id,
        lines.c.claim_id,
        lines.c.line_number,
        lines.c.code,
        lines.c.modifiers,
        lines.c.paid_amount,
        lines.c.expected_payment,
    )
    for condition in among(connection, lines.c.claim_id, ids):
        query = select(*line_columns).where(condition).order_by(lines.c.claim_id, lines.c.line_number)
        for row in connection.execute(query):
            by_id[row.claim_id].lines.append(
                _LineState(
                    row.id, row.line_number, row.code, row.modifiers, row.paid_amount or ZERO, row.expected_payment
                )
            )
    _earlier_answers(connection, by_id)
    return by_id


def _earlier_answers(connection: Connection, by_id: dict[int, _ClaimState]) -> None:
    """The answers already posted on claims the payer has answered before (a first answer reads none)."""
    answered = sorted(claim_id for claim_id, claim in by_id.items() if claim.status in _ANSWERED)
    if not answered:
        return
    payments = ClaimPaymentRow.__table__
    columns = (
        payments.c.claim_id,
        payments.c.status_code,
        payments.c.patient_control_number,
        payments.c.charge,
        payments.c.paid,
        payments.c.patient_responsibility,
        payments.c.adjustments,
        payments.c.lines,
        payments.c.remarks,
    )
    for condition in among(connection, payments.c.claim_id, answered):
        for claim_id, *stored in connection.execute(select(*columns).where(condition).order_by(payments.c.id)):
            by_id[claim_id].earlier.append(stored_payment(*stored))


def _remittance_id(
    session: Session, actor: Actor, remittance: Remittance, source_name: str, file_id: int | None
) -> tuple[int, bool]:
    """The remittance's row, and whether this call created it. Two posts of the same file at once insert
    one row: the second INSERT waits for the first transaction and then does nothing."""
    payer = _payer_key(remittance)
    trace = remittance.trace_number or f"no-trace:{remittance.control_number or source_name}"
    table = RemittanceRow.__table__
    created = session.execute(
        dialect_insert(session)(table)
        .values(
            clinic_id=actor.clinic_id,
            payer_name=(remittance.payer_name or payer)[:120],
            payer_identifier=payer,
            trace_number=trace,
            payment_amount=remittance.payment_amount,
            payment_date=remittance.payment_date,
            source_name=source_name[:200],
            payment_method=remittance.payment_method.value if remittance.payment_method else None,
            check_number=(remittance.trace_number or "")[:80] or None,  # TRN02: the check or EFT number
            remittance_file_id=file_id,
        )
        .on_conflict_do_nothing(index_elements=[table.c.clinic_id, table.c.payer_identifier, table.c.trace_number])
        .returning(table.c.id)
    ).scalar_one_or_none()
    if created is not None:
        return created, True
    existing = session.scalar(
        select(RemittanceRow.id).where(
            RemittanceRow.clinic_id == actor.clinic_id,
            RemittanceRow.payer_identifier == payer,
            RemittanceRow.trace_number == trace,
        )
    )
    assert existing is not None  # the INSERT found it
    return existing, False


def post_remittance(
    session: Session,
    actor: Actor,
    remittance: Remittance,
    source_name: str,
    *,
    accept_unbalanced: bool = False,
    file_id: int | None = None,
    advance: Callable[[], None] | None = None,
) -> PostingSummary:
    """Post one 835 transaction. Already-posted claims of the same payer and trace are skipped.

    A remittance whose amounts do not balance raises UnbalancedRemittanceError naming them, unless
    ``accept_unbalanced``; posting it anyway is written to the audit log with what disagrees.
    """
    require_role(actor, POSTERS)
    problems = balance_problems(remittance)
    if problems and not accept_unbalanced:
        raise UnbalancedRemittanceError(source_name, problems)
    remittance = routed(session, actor, remittance)  # a later payer's answer goes to that payer's claim
    summary = PostingSummary(remittances=1, warnings=list(remittance.warnings))
    remittance_id, created = _remittance_id(session, actor, remittance, source_name, file_id)
    summary.remittance_ids.append(remittance_id)
    if created:
        summary.provider_adjustments = record_provider_adjustments(session, actor, remittance_id, remittance)
    if problems:
        audit(
            session,
            actor,
            "override",
            "remittance",
            str(remittance_id),
            ("posted although it does not balance: " + "; ".join(problems))[:2000],
        )
    posted = {
        (number, payer_claim or "", status)
        for number, payer_claim, status in session.execute(
            select(
                ClaimPaymentRow.patient_control_number, ClaimPaymentRow.payer_claim_number, ClaimPaymentRow.status_code
            ).where(ClaimPaymentRow.remittance_id == remittance_id)
        )
    }
    claims = _claim_states(session, actor, {p.patient_control_number for p in remittance.claims})
    writes = Writes()
    for payment in remittance.claims:
        key = (payment.patient_control_number, payment.payer_claim_control_number or "", payment.status.value)
        if key in posted:
            summary.claims_already_posted += 1
            continue
        posted.add(key)
        _post_claim(actor, remittance_id, payment, summary, claims, writes)
        if advance is not None:  # a background job's progress, one claim payment at a time
            advance()
    write_changes(session, claims.values(), writes)
    audit(
        session,
        actor,
        "create",
        "remittance",
        str(remittance_id),
        f"{summary.claims_posted} claims posted, {summary.claims_already_posted} already posted",
    )
    open_denial_items(session, actor, remittance_id=remittance_id)  # each denied line becomes a work item
    summary.warnings += after_posting(session, actor, remittance)  # crossovers; the next payers' claims
    return summary


def write_changes(session: Session, claims: Iterable[_ClaimState], writes: Writes) -> None:
    # Core statements on the session's connection: no unit-of-work bookkeeping for thousands of rows.
    connection = session.connection()
    tables = Base.metadata.tables
    claims_table, lines_table = tables["claims"], tables["claim_lines"]
    changed = [c for c in claims if c.changed]
    bulk_update(
        connection,
        claims_table,
        ("paid_amount", "patient_responsibility", "payer_claim_number", "status"),
        [(c.id, c.paid_amount, c.patient_responsibility, c.payer_claim_number, c.status) for c in changed],
    )
    bulk_update(
        connection, lines_table, ("paid_amount",), [(line.id, line.paid_amount) for c in changed for line in c.lines]
    )
    insert_answers(connection, writes.payments)  # with each answer's accounted figures
    insert_many(connection, tables["audit_log"], writes.audits)
    # Objects already loaded in the session must not show the amounts from before the posting.
    session.expire_all()


def _post_claim(
    actor: Actor,
    remittance_id: int,
    payment: ClaimPayment,
    summary: PostingSummary,
    claims: dict[str, _ClaimState],
    writes: Writes,
) -> None:
    claim = claims.get(payment.patient_control_number)
    responsibility = payment.patient_responsibility or ZERO
    matched: list[_LineState | None] = []
    if claim is not None:
        matched, account = apply_payment(claim, payment, "nothing of the remittance was posted")
        writes.audits.append(
            {
                "clinic_id": actor.clinic_id,
                "user_id": actor.user_id,
                "action": "update",
                "entity": "claim",
                "entity_id": str(claim.id),
                "detail": f"posted {payment.status.value} from remittance {remittance_id}",
            }
        )
    else:
        summary.claims_unmatched.append(payment.patient_control_number)
        matched = [None] * len(payment.service_lines)
        account = account_claim([payment])
    writes.payments.append(
        {
            "clinic_id": actor.clinic_id,
            "remittance_id": remittance_id,
            "claim_id": claim.id if claim else None,
            "patient_control_number": payment.patient_control_number,
            "payer_claim_number": payment.payer_claim_control_number,
            "status_code": payment.status.value,
            "charge": payment.charge,
            "paid": payment.paid,
            "patient_responsibility": responsibility,
            "adjustments": adjustments_json(payment),
            "lines": lines_json(payment, matched),
            "remarks": list(payment.remark_codes),
        }
    )
    summary.claims_posted += 1
    summary.paid += payment.paid
    summary.adjusted += payment.adjustment_total
    summary.patient_responsibility += responsibility
    if account.denied:
        summary.denied += 1
    if payment.is_reversal:
        summary.reversals += 1


def apply_payment(
    claim: _ClaimState, payment: ClaimPayment, refused: str
) -> tuple[list[_LineState | None], ClaimAccount]:
    """One answer of the payer added to the claim in memory: its lines matched, paid amounts, status."""
    matched: list[_LineState | None] = []
    taken: set[int] = set()
    for service in payment.service_lines:
        line = _match_line(claim.lines, service, taken)
        if line is not None:
            taken.add(line.id)
            line.paid_amount += service.paid
        matched.append(line)
    claim.paid_amount += payment.paid
    # A reversal takes back what an earlier payment said the patient owed, too.
    claim.patient_responsibility = max(ZERO, claim.patient_responsibility + (payment.patient_responsibility or ZERO))
    if payment.payer_claim_control_number:
        claim.payer_claim_number = payment.payer_claim_control_number
    numbers = tuple(line.line_number if line else None for line in matched)
    account = claim.account(payment, numbers)
    claim.earlier.append((payment, numbers))  # a second answer in the same file reads this one
    status = _status_after(account)
    problem = refusal(f"claim {claim.id}", claim.status, status)
    if problem:
        raise ConflictError(f"{problem}; {refused}")
    claim.status = status.value
    claim.changed = True
    return matched, account


def post_remittances(
    session: Session,
    actor: Actor,
    remittances: Iterable[Remittance],
    source_name: str,
    *,
    accept_unbalanced: bool = False,
    file_id: int | None = None,
    advance: Callable[[], None] | None = None,
) -> PostingSummary:
    total = PostingSummary()
    for remittance in remittances:
        total.add(
            post_remittance(
                session,
                actor,
                remittance,
                source_name,
                accept_unbalanced=accept_unbalanced,
                file_id=file_id,
                advance=advance,
            )
        )
    return total
