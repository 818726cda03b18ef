"""Reads 999 implementation acknowledgments (005010X231A1) into ``ImplementationAck`` values.

Envelopes are read strictly (``x12.envelope``); what is wrong inside the 999 is recorded on the value's
``problems`` naming the segment and element. Raises only ``X12SyntaxError`` (unreadable X12).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ptbill.acknowledgments.x12_999 import GUIDE
from ptbill.acknowledgments.x12_999.codes import (
    ACKNOWLEDGMENT,
    ELEMENT_ERRORS,
    GROUP_ERRORS,
    SEGMENT_ERRORS,
    TRANSACTION_SET_ERRORS,
    VERDICTS,
    coded,
)
from ptbill.acknowledgments.x12_999.segments import (
    AK9_ERRORS,
    AK101,
    AK102,
    AK103,
    AK201,
    AK202,
    AK203,
    AK901,
    AK902,
    AK903,
    AK904,
    CTX01,
    IK5_ERRORS,
    IK301,
    IK302,
    IK303,
    IK304,
    IK401,
    IK402,
    IK403,
    IK404,
    IK501,
)
from ptbill.domain.acknowledgment import (
    AckVerdict,
    ElementNote,
    GroupAck,
    ImplementationAck,
    SegmentNote,
    TransactionSetAck,
)
from ptbill.domain.coded import Coded
from ptbill.domain.identifiers import bounded_int
from ptbill.x12.reader import ReadSegment, Source
from ptbill.x12.transactions import TransactionView, read_transactions

GUIDES = (GUIDE, "005010X231")


@dataclass(slots=True)
class _SegmentDraft:
    segment_id: str
    position: int | None
    loop: str | None
    error: Coded
    context: list[str] = field(default_factory=list)
    elements: list[ElementNote] = field(default_factory=list)


@dataclass(slots=True)
class _SetDraft:
    transaction_set_id: str
    control_number: str
    guide: str | None
    segments: list[_SegmentDraft] = field(default_factory=list)
    closed: TransactionSetAck | None = None


def _small_int(text: str) -> int | None:
    return bounded_int(text, 9) if text else None


def _context(view: TransactionView, read: ReadSegment) -> str:
    """A CTX as words: 'CLM01 123456789' (business unit) or 'SITUATIONAL TRIGGER CLM at 43'."""
    name = view.component(read, CTX01, 1)
    value = view.component(read, CTX01, 2)
    if value:
        return f"{name} {value}"
    segment_id = read.segment.element(2)
    position = read.segment.element(3)
    return " ".join(p for p in (name, segment_id, f"at {position}" if position else "") if p)


def _verdict(view: TransactionView, read: ReadSegment, code: str, what: str) -> AckVerdict:
    verdict = VERDICTS.get(code)
    if verdict is None:
        view.element_problem(read, f"{what} {code!r} is not an acknowledgment code (A, E, P, R, M, W, X)")
        return AckVerdict.UNKNOWN
    return verdict


def _read(view: TransactionView) -> ImplementationAck:
    transaction = view.transaction
    group: GroupAck | None = None
    header: tuple[str, str, str | None] | None = None
    sets: list[_SetDraft] = []
    current: _SetDraft | None = None
    segment: _SegmentDraft | None = None
    if view.check_guide("999", GUIDES):
        for read in view.body():
            sid = read.id
            if sid == "AK1":
                header = (view.required(read, AK101), view.required(read, AK102), view.optional(read, AK103))
            elif sid == "AK2":
                current = _SetDraft(view.required(read, AK201), view.required(read, AK202), view.optional(read, AK203))
                sets.append(current)
                segment = None
            elif sid == "IK3" and current is not None:
                position_text = view.text(read, IK302)
                segment = _SegmentDraft(
                    view.required(read, IK301),
                    _small_int(position_text),
                    view.optional(read, IK303),
                    coded(SEGMENT_ERRORS, view.text(read, IK304)),
                )
                if position_text and segment.position is None:
                    view.element_problem(read, f"{IK302} {position_text!r} is not a position")
                current.segments.append(segment)
            elif sid == "CTX" and segment is not None:
                segment.context.append(_context(view, read))
            elif sid == "IK4" and segment is not None:
                segment.elements.append(
                    ElementNote(
                        _small_int(view.component(read, IK401, 1)),
                        _small_int(view.component(read, IK401, 2)),
                        _small_int(view.component(read, IK401, 3)),
                        view.optional(read, IK402),
                        coded(ELEMENT_ERRORS, view.required(read, IK403)),
                        view.optional(read, IK404),
                    )
                )
            elif sid == "IK5" and current is not None:
                code = view.required(read, IK501)
                current.closed = TransactionSetAck(
                    current.transaction_set_id,
                    current.control_number,
                    current.guide,
                    _verdict(view, read, code, str(IK501)),
                    coded(ACKNOWLEDGMENT, code),
                    tuple(coded(TRANSACTION_SET_ERRORS, t) for e in IK5_ERRORS if (t := view.text(read, e))),
                    tuple(
                        SegmentNote(s.segment_id, s.position, s.loop, s.error, tuple(s.context), tuple(s.elements))
                        for s in current.segments
                    ),
                )
                current = segment = None
            elif sid == "AK9":
                if header is None:
                    view.loop_problem(read, "AK9 without the AK1 that opens the functional group response")
                    header = ("", "", None)
                code = view.required(read, AK901)
                for draft in sets:
                    if draft.closed is None:
                        view.loop_problem(read, f"the AK2 of transaction set {draft.control_number!r} has no IK5")
                group = GroupAck(
                    header[0],
                    header[1],
                    header[2],
                    _verdict(view, read, code, str(AK901)),
                    coded(ACKNOWLEDGMENT, code),
                    _small_int(view.text(read, AK902)),
                    _small_int(view.text(read, AK903)),
                    _small_int(view.text(read, AK904)),
                    tuple(coded(GROUP_ERRORS, t) for e in AK9_ERRORS if (t := view.text(read, e))),
                    tuple(d.closed for d in sets if d.closed is not None),
                )
            elif sid not in ("AK1", "AK2", "IK3", "IK4", "IK5", "CTX"):
                view.loop_problem(read, f"{sid} is not a segment of the 999")
            else:
                view.loop_problem(read, f"{sid} outside the loop it belongs to")
        if group is None:
            view.loop_problem(transaction.header, "the 999 has no AK9 (functional group response trailer)")
    return ImplementationAck(
        transaction.control_number,
        transaction.interchange.sender_id,
        transaction.interchange.receiver_id,
        group,
        view.messages(),
    )


def read_999(source: Source) -> Iterator[ImplementationAck]:
    """Each 999 transaction set of ``source``."""
    transactions, outside = read_transactions(source)
    for transaction in transactions:
        yield _read(TransactionView(transaction, outside))
