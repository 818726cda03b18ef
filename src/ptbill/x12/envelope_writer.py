"""Writes X12 envelopes: the ISA/GS headers, ST, and the SE/GE/IEA trailers with their counts.

Every transaction set's writer builds only its own segments from the header on; this module wraps them.
Source: ASC X12 005010 control segments as the HIPAA TR3s use them (appendix B): the ISA is fixed width
(ids padded to 15, ISA11 the repetition and ISA16 the component separator), ISA13=IEA02, GS06=GE02,
ST02=SE02; IEA01 counts groups, GE01 transaction sets, SE01 segments from ST to SE inclusive.
The reading side, with the same checks the other way round, is ``ptbill.x12.envelope``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from ptbill.x12.control_numbers import ControlNumberSource
from ptbill.x12.syntax import Delimiters, Segment, SegmentEncoder
from ptbill.x12.values import ccyymmdd, hhmm, interchange_control_number, transaction_control_number, yymmdd

VERSION_5010 = "00501"  # ISA12
_NO_AUTHORIZATION = " " * 10  # ISA02 and ISA04: no authorization or security information (ISA01/ISA03 "00")


@dataclass(frozen=True, slots=True)
class Parties:
    """Who sends an interchange to whom, and what its one functional group holds.

    ``functional_id`` is GS01 (HC for the 837, HP for the 835) and ``version`` GS08, the guide.
    The sender and receiver ids are ISA06/ISA08 and, unchanged, GS02/GS03.
    """

    sender_id: str
    receiver_id: str
    functional_id: str
    version: str
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    usage: str = "P"  # ISA15: P production, T test


def isa(parties: Parties, control: int, created: datetime, delimiters: Delimiters) -> Segment:
    """The fixed-width interchange header; ISA11 and ISA16 carry the repetition and component separators."""
    return Segment(
        "ISA",
        (
            "00",
            _NO_AUTHORIZATION,
            "00",
            _NO_AUTHORIZATION,
            parties.sender_qualifier,
            parties.sender_id.ljust(15)[:15],
            parties.receiver_qualifier,
            parties.receiver_id.ljust(15)[:15],
            yymmdd(created),
            hhmm(created),
            delimiters.repetition,
            VERSION_5010,
            interchange_control_number(control),
            "0",  # ISA14: no TA1 acknowledgment requested
            parties.usage,
            delimiters.component,
        ),
    )


def gs(parties: Parties, control: int, created: datetime) -> Segment:
    return Segment(
        "GS",
        (
            parties.functional_id,
            parties.sender_id,
            parties.receiver_id,
            ccyymmdd(created.date()),
            hhmm(created),
            str(control),
            "X",  # GS07: responsible agency, Accredited Standards Committee X12
            parties.version,
        ),
    )


def st(transaction_set: str, control: int, guide: str | None = None) -> Segment:
    """The transaction set header; ST03 (the guide) is written when given."""
    number = transaction_control_number(control)
    return Segment("ST", (transaction_set, number, guide) if guide else (transaction_set, number))


def se(transaction: Sequence[Segment]) -> Segment:
    """The trailer for ``transaction`` (ST first, SE not yet in it): its segment count and ST02."""
    return Segment("SE", (str(len(transaction) + 1), transaction[0].element(2)))


def write_interchange(
    parties: Parties,
    delimiters: Delimiters,
    created: datetime,
    interchange: int,
    group: int,
    transactions: Iterable[Sequence[Segment]],
    encoder: SegmentEncoder | None = None,
) -> str:
    """One interchange holding one functional group: ISA, GS, each transaction set (ST first, its SE
    added here), GE counting the sets, IEA. Transaction sets are encoded as they come, so a writer can
    hand them over one at a time."""
    return "".join(stream_interchange(parties, delimiters, created, interchange, group, transactions, encoder))


def stream_interchange(
    parties: Parties,
    delimiters: Delimiters,
    created: datetime,
    interchange: int,
    group: int,
    transactions: Iterable[Sequence[Segment]],
    encoder: SegmentEncoder | None = None,
) -> Iterator[str]:
    """``write_interchange`` in pieces: ISA and GS, then each transaction set's text as soon as it is built
    (so a big batch is written one ST/SE at a time), then GE and IEA."""
    encode = (encoder or SegmentEncoder(delimiters)).encode
    texts = (("".join(map(encode, t)), len(t), t[0].element(2)) for t in transactions)
    return stream_interchange_texts(parties, delimiters, created, interchange, group, texts, encoder)


def stream_interchange_texts(
    parties: Parties,
    delimiters: Delimiters,
    created: datetime,
    interchange: int,
    group: int,
    transactions: Iterable[tuple[str, int, str]],
    encoder: SegmentEncoder | None = None,
) -> Iterator[str]:
    """``stream_interchange`` for transaction sets already encoded: each is its text from ST on (SE not
    yet in it), its number of segments from ST on, and its ST02; the SE is added here."""
    encode = (encoder or SegmentEncoder(delimiters)).encode
    yield encode(isa(parties, interchange, created, delimiters)) + encode(gs(parties, group, created))
    count = 0
    for text, segments, control in transactions:
        count += 1
        yield text + encode(Segment("SE", (str(segments + 1), control)))
    yield encode(Segment("GE", (str(count), str(group)))) + encode(
        Segment("IEA", ("1", interchange_control_number(interchange)))
    )


def write_single(
    parties: Parties,
    created: datetime,
    numbers: ControlNumberSource,
    build: Callable[[int], Sequence[Segment]],
    delimiters: Delimiters | None = None,
) -> str:
    """One interchange, one group and one transaction set whose segments ``build`` makes from its ST02
    number; the three control numbers come from ``numbers`` (the 999, 277, 277CA, 270 and 276 writers)."""
    interchange = numbers.next("interchange")
    group = numbers.next("group")
    transaction = numbers.next("transaction")
    return write_interchange(parties, delimiters or Delimiters(), created, interchange, group, [build(transaction)])
