"""Reads 277 claim status answers (005010X212), 277CA acknowledgments (005010X214, same shape) and 276
inquiries into ``ptbill.domain.claim_status`` values.

The HL levels decide what a segment belongs to: 20 the payer, 21 the receiver, 19 the provider, and 22
(subscriber), 23 (dependent) or PT (277CA patient) the claims, each opened by its TRN. A status above the
claims (a batch's or a provider's) is kept as a ``LevelStatus``. Problems name segment and element.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ptbill.claim_status.x12_276_277 import GUIDE
from ptbill.claim_status.x12_276_277.codes import category, entity, status_code
from ptbill.claim_status.x12_276_277.segments import (
    AMT01,
    AMT02,
    QTY01,
    QTY02,
    REF01,
    REF02,
    STC01,
    STC02,
    STC03,
    STC04,
    STC05,
    STC06,
    STC08,
    STC09,
    STC10,
    STC11,
    STC12,
    SVC01,
    SVC02,
    SVC03,
    SVC07,
)
from ptbill.domain.claim_status import (
    ClaimInquiry,
    ClaimStatusEntry,
    ClaimStatusReport,
    ClaimStatusRequest,
    LevelStatus,
    LineStatus,
    Status,
)
from ptbill.domain.coded import Party
from ptbill.x12.elements import ElementRef
from ptbill.x12.errors import X12LoopError
from ptbill.x12.hierarchy import (
    BHT03,
    BHT04,
    DMG02,
    DTP01,
    DTP02,
    DTP03,
    HL03,
    NM101,
    NM103,
    NM104,
    NM108,
    NM109,
    TRN02,
)
from ptbill.x12.reader import ReadSegment, Source
from ptbill.x12.transactions import TransactionView, read_transactions

ACKNOWLEDGMENT_GUIDE = "005010X214"
_CLAIM_LEVELS = ("22", "23", "PT")
_LEVEL_NAMES = {"20": "information source", "21": "information receiver", "19": "provider"}


@dataclass(slots=True)
class _Line:
    procedure: str
    charge: Decimal | None
    paid: Decimal | None
    units: Decimal | None
    control: str | None = None
    start: date | None = None
    end: date | None = None
    statuses: list[Status] = field(default_factory=list)


@dataclass(slots=True)
class _Claim:
    number: int  # the TRN's segment number, for messages
    trace: str | None
    patient: Party | None
    provider: Party | None
    subscriber: Party | None = None
    subscriber_birth: date | None = None
    birth: date | None = None
    patient_control_number: str | None = None
    payer_claim_number: str | None = None
    clearinghouse_trace: str | None = None
    charge: Decimal | None = None
    start: date | None = None
    end: date | None = None
    statuses: list[Status] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)


@dataclass(slots=True)
class _Level:
    level: str
    party: Party | None
    statuses: list[Status] = field(default_factory=list)
    counts: dict[str, int | None] = field(default_factory=dict)
    amounts: dict[str, Decimal | None] = field(default_factory=dict)


@dataclass(slots=True)
class _State:
    """Where the reader is in the hierarchy, and what it has read so far."""

    level: str = ""
    payer: Party | None = None
    receiver: Party | None = None
    provider: Party | None = None
    subscriber: Party | None = None
    subscriber_birth: date | None = None
    birth: date | None = None  # the DMG of the current level
    claim: _Claim | None = None
    line: _Line | None = None
    level_draft: _Level | None = None
    claims: list[_Claim] = field(default_factory=list)
    levels: list[_Level] = field(default_factory=list)
    seen_at_level: dict[str, Party] = field(default_factory=dict)


def _party(view: TransactionView, read: ReadSegment) -> Party:
    return Party(
        view.text(read, NM103), view.optional(read, NM109), view.optional(read, NM108), view.optional(read, NM104)
    )


def _composite_status(view: TransactionView, read: ReadSegment, element: ElementRef) -> Status | None:
    code = view.component(read, element, 1)
    if not code:
        return None
    return Status(
        category(code), status_code(view.component(read, element, 2)), entity(view.component(read, element, 3))
    )


def _stc(view: TransactionView, read: ReadSegment) -> list[Status]:
    first = _composite_status(view, read, STC01)
    if first is None:
        view.element_problem(read, f"{STC01} has no status category code (STC01-1)")
        return []
    main = Status(
        first.category,
        first.status,
        first.entity,
        effective=view.day(read, STC02),
        action=view.optional(read, STC03),
        charge=view.amount(read, STC04),
        paid=view.amount(read, STC05),
        finalized=view.day(read, STC06),
        remittance_date=view.day(read, STC08),
        check_or_eft=view.optional(read, STC09),
        message=view.optional(read, STC12),
    )
    extra = [s for e in (STC10, STC11) if (s := _composite_status(view, read, e)) is not None]
    return [main, *extra]


def _close(state: _State) -> None:
    if state.line is not None and state.claim is not None:
        state.claim.lines.append(state.line)
    state.line = None
    if state.claim is not None:
        state.claims.append(state.claim)
    state.claim = None
    if state.level_draft is not None:
        state.levels.append(state.level_draft)
    state.level_draft = None


def _walk(view: TransactionView) -> tuple[_State, str | None, date | None]:
    """One pass over the body: the hierarchy's parties, claims, lines and level statuses."""
    state = _State()
    reference: str | None = None
    created: date | None = None
    for read in view.body():
        sid = read.id
        claim, line = state.claim, state.line
        if sid == "BHT":
            reference, created = view.optional(read, BHT03), view.day(read, BHT04)
        elif sid == "HL":
            _close(state)
            state.level = view.required(read, HL03)
            state.birth = None
        elif sid == "DMG":
            state.birth = view.day(read, DMG02)
        elif sid == "NM1":
            party = _party(view, read)
            state.seen_at_level[state.level] = party
            role = view.text(read, NM101)
            if state.level == "20":
                state.payer = party
            elif state.level == "21":
                state.receiver = party
            elif state.level == "19":
                state.provider = party
            elif state.level == "22" or role == "IL":
                state.subscriber, state.subscriber_birth = party, state.birth
        elif sid == "TRN":
            _close(state)
            if state.level in _CLAIM_LEVELS:
                patient = state.seen_at_level.get(state.level)
                state.claim = _Claim(
                    read.number,
                    view.required(read, TRN02),
                    patient,
                    state.provider,
                    state.subscriber,
                    state.subscriber_birth,
                    state.birth,
                )
            else:
                name = _LEVEL_NAMES.get(state.level, state.level)
                state.level_draft = _Level(name, state.seen_at_level.get(state.level))
        elif sid == "STC":
            target = line.statuses if line else claim.statuses if claim else None
            if target is None and state.level_draft is not None:
                target = state.level_draft.statuses
            if target is None:
                view.loop_problem(read, "STC before the TRN that opens its claim or level")
            else:
                target.extend(_stc(view, read))
        elif sid == "REF":
            kind, value = view.text(read, REF01), view.required(read, REF02)
            if line is not None and kind == "FJ":
                line.control = value
            elif claim is not None and kind == "1K":
                claim.payer_claim_number = value
            elif claim is not None and kind == "EJ":
                claim.patient_control_number = value
            elif claim is not None and kind == "D9":
                claim.clearinghouse_trace = value
        elif sid == "AMT":
            qualifier, money = view.text(read, AMT01), view.amount(read, AMT02)
            if claim is not None and qualifier == "T3":
                claim.charge = money
            elif state.level_draft is not None:
                state.level_draft.amounts[qualifier] = money
        elif sid == "QTY" and state.level_draft is not None:
            state.level_draft.counts[view.text(read, QTY01)] = view.whole(read, QTY02)
        elif sid == "SVC":
            if claim is None:
                view.loop_problem(read, "SVC outside a claim")
                continue
            if line is not None:
                claim.lines.append(line)
            procedure = ":".join(p for p in (view.component(read, SVC01, i) for i in range(1, 8)) if p)
            state.line = _Line(procedure, view.amount(read, SVC02), view.amount(read, SVC03), view.amount(read, SVC07))
        elif sid == "DTP" and view.text(read, DTP01) == "472":
            first, last = view.period(read, DTP02, DTP03)
            target_dates = line if line is not None else claim
            if target_dates is not None:
                target_dates.start, target_dates.end = first, last
    _close(state)
    return state, reference, created


def _entry(claim: _Claim, acknowledgment: bool) -> ClaimStatusEntry:
    return ClaimStatusEntry(
        claim.trace if acknowledgment else claim.patient_control_number,
        claim.trace,
        claim.payer_claim_number,
        claim.clearinghouse_trace,
        claim.patient,
        claim.provider,
        claim.start,
        claim.end,
        tuple(claim.statuses),
        tuple(
            LineStatus(x.procedure, x.charge, x.paid, x.units, x.control, x.start, x.end, tuple(x.statuses))
            for x in claim.lines
        ),
    )


def _level(draft: _Level) -> LevelStatus:
    counts, amounts = draft.counts, draft.amounts
    return LevelStatus(
        draft.level,
        draft.party,
        tuple(draft.statuses),
        counts.get("90", counts.get("QA")),
        counts.get("AA", counts.get("QC")),
        amounts.get("YU"),
        amounts.get("YY"),
    )


def read_report(view: TransactionView, guides: tuple[str, ...]) -> ClaimStatusReport:
    """One 277 or 277CA transaction set, already read by the envelope reader."""
    transaction = view.transaction
    guide = transaction.implementation
    if not view.check_guide("277", guides):
        return ClaimStatusReport(guide, transaction.control_number, None, None, None, (), (), view.messages())
    state, reference, created = _walk(view)
    acknowledgment = guide.startswith(ACKNOWLEDGMENT_GUIDE)
    for claim in state.claims:
        if not claim.statuses:
            view.problems.append(_missing_status(view, claim))
    return ClaimStatusReport(
        guide,
        transaction.control_number,
        reference,
        created,
        state.payer,
        tuple(_level(d) for d in state.levels),
        tuple(_entry(c, acknowledgment) for c in state.claims),
        view.messages(),
    )


def _missing_status(view: TransactionView, claim: _Claim) -> X12LoopError:
    return X12LoopError(claim.number, "TRN", f"the claim with trace {claim.trace!r} has no STC")


def _incomplete(view: TransactionView, claim: _Claim) -> X12LoopError:
    return X12LoopError(claim.number, "TRN", f"the claim with trace {claim.trace!r} has no DTP*472 (service dates)")


def read_277(source: Source, guides: tuple[str, ...] = (GUIDE,)) -> Iterator[ClaimStatusReport]:
    """Each 277 claim status answer (005010X212) of ``source``."""
    transactions, outside = read_transactions(source)
    for transaction in transactions:
        yield read_report(TransactionView(transaction, outside), guides)


def _inquiry(claim: _Claim) -> ClaimInquiry | None:
    starts = [d for d in (claim.start, *(x.start for x in claim.lines)) if d is not None]
    ends = [d for d in (claim.end, *(x.end for x in claim.lines)) if d is not None]
    if not starts or not ends:
        return None
    subscriber = claim.subscriber or Party("")
    dependent = claim.patient if claim.patient is not None and claim.patient != subscriber else None
    return ClaimInquiry(
        claim.patient_control_number,
        claim.trace or "",
        subscriber,
        min(starts),
        max(ends),
        claim.charge,
        claim.payer_claim_number,
        dependent,
        claim.subscriber_birth,
        claim.birth if dependent else None,
    )


def read_276(source: Source) -> Iterator[ClaimStatusRequest]:
    """Each 276 claim status inquiry (005010X212) of ``source``."""
    transactions, outside = read_transactions(source)
    for transaction in transactions:
        view = TransactionView(transaction, outside)
        if not view.check_guide("276", (GUIDE,)):
            yield ClaimStatusRequest(transaction.control_number, None, None, None, None, None, (), view.messages())
            continue
        state, reference, created = _walk(view)
        claims = []
        for claim in state.claims:
            inquiry = _inquiry(claim)
            if inquiry is None:
                view.problems.append(_incomplete(view, claim))
            else:
                claims.append(inquiry)
        yield ClaimStatusRequest(
            transaction.control_number,
            reference,
            created,
            state.payer,
            state.receiver,
            state.claims[0].provider if state.claims else state.provider,
            tuple(claims),
            view.messages(),
        )
