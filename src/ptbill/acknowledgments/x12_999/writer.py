"""Writes a 999 implementation acknowledgment (005010X231A1) for one received functional group.

ptbill receives 999s; it writes them only as a stand-in clearinghouse for tests and the demo. The
caller passes the creation time and a ``ControlNumberSource``. Only the business-unit contexts of a
segment error ('CLM01 123456789') are written back as CTX segments.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ptbill.acknowledgments.x12_999 import FUNCTIONAL_ID, GUIDE
from ptbill.domain.acknowledgment import GroupAck, SegmentNote, TransactionSetAck
from ptbill.x12.control_numbers import ControlNumberSource
from ptbill.x12.envelope_writer import Parties, st, write_single
from ptbill.x12.syntax import Delimiters, Segment

_BUSINESS_UNITS = ("CLM01", "TRN02", "NM109", "ENT01")


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def _segment_error(note: SegmentNote) -> list[Segment]:
    out = [Segment("IK3", (note.segment_id, _number(note.position), note.loop or "", note.error.code))]
    for context in note.context:
        name, _, value = context.partition(" ")
        if name in _BUSINESS_UNITS and value:
            out.append(Segment("CTX", ((name, value),)))
    for element in note.elements:
        position = tuple(_number(v) for v in (element.position, element.component, element.repetition))
        out.append(
            Segment("IK4", (position, element.reference_number or "", element.error.code, element.bad_value or ""))
        )
    return out


def _transaction_set(answer: TransactionSetAck) -> list[Segment]:
    out = [Segment("AK2", (answer.transaction_set_id, answer.control_number, answer.guide or ""))]
    for note in answer.segments:
        out.extend(_segment_error(note))
    out.append(Segment("IK5", (answer.code.code, *(e.code for e in answer.errors[:5]))))
    return out


def write_999(
    answer: GroupAck,
    parties: Parties,
    created: datetime,
    numbers: ControlNumberSource,
    delimiters: Delimiters | None = None,
) -> str:
    """One interchange holding one 999 that answers the functional group ``answer`` describes.
    ``parties.functional_id`` and ``version`` are replaced by the 999's own (FA, 005010X231A1)."""
    envelope = replace(parties, functional_id=FUNCTIONAL_ID, version=GUIDE)

    def build(control: int) -> list[Segment]:
        body = [
            st("999", control, GUIDE),
            Segment("AK1", (answer.functional_id, answer.group_control_number, answer.guide or "")),
        ]
        for transaction_set in answer.transaction_sets:
            body.extend(_transaction_set(transaction_set))
        counts = (answer.sets_included, answer.sets_received, answer.sets_accepted)
        body.append(
            Segment("AK9", (answer.code.code, *(_number(c) for c in counts), *(e.code for e in answer.errors[:5])))
        )
        return body

    return write_single(envelope, created, numbers, build, delimiters)
