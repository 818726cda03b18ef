"""X12 envelopes: interchanges (ISA/IEA), functional groups (GS/GE) and transaction sets (ST/SE).

Source: ASC X12 005010 control segments as the HIPAA TR3s use them (appendix B): ISA13=IEA02, GS06=GE02,
ST02=SE02; IEA01 counts groups, GE01 transaction sets, SE01 segments from ST to SE inclusive.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ptbill.domain.identifiers import bounded_int
from ptbill.x12.errors import (
    X12ControlNumberError,
    X12CountError,
    X12EnvelopeError,
    X12Error,
    X12SegmentError,
    clip,
)
from ptbill.x12.reader import DEFAULT_CHUNK_SIZE, ReadSegment, Separators, Source, X12Reader

SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
INTERCHANGE_CONTROL_NUMBER = re.compile(r"[0-9]{9}")
GROUP_CONTROL_NUMBER = re.compile(r"[0-9]{1,9}")
MAX_COUNT_DIGITS = 10  # SE01 is N0 1/10; IEA01 and GE01 are shorter
TRANSACTION_CONTROL_NUMBER = re.compile(r"[A-Za-z0-9]{4,9}")
ENVELOPE_IDS = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})
VERSION_5010 = "00501"  # ISA12; from this version on ISA11 is the repetition separator


@dataclass(eq=False)
class Interchange:
    """One ISA..IEA. Header values come from the ISA; ``problems`` fills in as the interchange is read."""

    header: ReadSegment
    separators: Separators
    trailer: ReadSegment | None = None
    group_count: int = 0
    problems: list[X12Error] = field(default_factory=list)

    @property
    def sender_qualifier(self) -> str:
        return self.header.segment.element(5)  # ISA05

    @property
    def sender_id(self) -> str:
        return self.header.segment.element(6).strip()  # ISA06, blank-padded to 15

    @property
    def receiver_qualifier(self) -> str:
        return self.header.segment.element(7)  # ISA07

    @property
    def receiver_id(self) -> str:
        return self.header.segment.element(8).strip()  # ISA08

    @property
    def version(self) -> str:
        return self.header.segment.element(12)  # ISA12 interchange control version, 00501

    @property
    def control_number(self) -> str:
        return self.header.segment.element(13)  # ISA13

    @property
    def usage(self) -> str:
        return self.header.segment.element(15)  # ISA15: P production, T test


@dataclass(eq=False)
class FunctionalGroup:
    """One GS..GE inside an interchange."""

    header: ReadSegment
    interchange: Interchange
    trailer: ReadSegment | None = None
    transaction_count: int = 0
    problems: list[X12Error] = field(default_factory=list)
    transaction_control_numbers: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def functional_id(self) -> str:
        return self.header.segment.element(1)  # GS01: HC for 837, HP for 835

    @property
    def application_sender(self) -> str:
        return self.header.segment.element(2)  # GS02

    @property
    def application_receiver(self) -> str:
        return self.header.segment.element(3)  # GS03

    @property
    def control_number(self) -> str:
        return self.header.segment.element(6)  # GS06

    @property
    def version(self) -> str:
        return self.header.segment.element(8)  # GS08: the implementation guide, e.g. 005010X222A1


@dataclass(frozen=True, slots=True)
class EnvelopeIds:
    """Who sent a transaction set to whom, under which control numbers: enough to match it in a round trip."""

    interchange_control_number: str  # ISA13
    group_control_number: str  # GS06
    transaction_control_number: str  # ST02
    sender_id: str  # ISA06
    receiver_id: str  # ISA08
    application_sender: str  # GS02
    application_receiver: str  # GS03
    version: str  # GS08 (ST03 when there is no GS)
    usage: str  # ISA15


@dataclass(eq=False)
class Transaction:
    """One ST..SE with the segments it holds (ST and SE included) and the envelopes around it.

    ``problems`` holds what is wrong inside this ST..SE (its SE count and control number, malformed
    segments). Interchange and group problems are on ``interchange`` and ``group``; those found at
    GE or IEA are added after the transaction has been handed out (see :attr:`envelope_problems`).
    """

    segments: list[ReadSegment]
    interchange: Interchange
    group: FunctionalGroup | None
    problems: list[X12Error] = field(default_factory=list)

    @property
    def header(self) -> ReadSegment:
        return self.segments[0]

    @property
    def trailer(self) -> ReadSegment | None:
        last = self.segments[-1]
        return last if last.id == "SE" and len(self.segments) > 1 else None

    @property
    def transaction_set_id(self) -> str:
        return self.header.segment.element(1)  # ST01: 837, 835 ...

    @property
    def control_number(self) -> str:
        return self.header.segment.element(2)  # ST02

    @property
    def implementation(self) -> str:
        """ST03 (the guide, e.g. 005010X222A1), or GS08 when ST03 is absent."""
        st03 = self.header.segment.element(3)
        return st03 or (self.group.version if self.group else "")

    @property
    def ids(self) -> EnvelopeIds:
        group = self.group
        return EnvelopeIds(
            interchange_control_number=self.interchange.control_number,
            group_control_number=group.control_number if group else "",
            transaction_control_number=self.control_number,
            sender_id=self.interchange.sender_id,
            receiver_id=self.interchange.receiver_id,
            application_sender=group.application_sender if group else "",
            application_receiver=group.application_receiver if group else "",
            version=group.version if group and group.version else self.implementation,
            usage=self.interchange.usage,
        )

    @property
    def envelope_problems(self) -> list[X12Error]:
        """Interchange and group problems known so far (complete once the whole file has been read)."""
        return self.interchange.problems + (self.group.problems if self.group else [])


def _count(text: str) -> int | None:
    return bounded_int(text, MAX_COUNT_DIGITS)


class EnvelopeReader:
    """Reads ``source`` and yields each transaction set; checks nesting, control numbers and counts.

    Only :class:`~ptbill.x12.errors.X12SyntaxError` is raised. Every other problem is recorded: on the
    transaction it concerns, or, when it concerns an interchange, a group or a segment outside any
    transaction set, on ``problems`` here (and on that interchange's or group's own list). A file with
    several interchanges or groups is fine as long as each is properly closed.
    """

    def __init__(self, source: Source, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        self._reader = X12Reader(source, chunk_size=chunk_size)
        self.interchanges: list[Interchange] = []
        self.problems: list[X12Error] = []
        self._interchange: Interchange | None = None  # the open one
        self._group: FunctionalGroup | None = None
        self._transaction: Transaction | None = None
        self._interchange_numbers: dict[str, int] = {}  # ISA13 -> segment number, across the file
        self._group_numbers: dict[str, int] = {}  # GS06 -> segment number, within the open interchange
        self._well_formed_ids: set[str] = set()  # data segment ids already seen to be well formed

    def __iter__(self) -> Iterator[Transaction]:
        last: ReadSegment | None = None
        well_formed = self._well_formed_ids
        for read in self._reader:
            last = read
            segment = read.segment
            transaction = self._transaction
            # The common case, a data segment inside ST..SE with a known id and no trailing separator, goes straight in.
            if (
                transaction is not None
                and segment.id in well_formed
                and segment.elements
                and (last_element := segment.elements[-1]) != ""
                and last_element[-1] != ""
            ):
                transaction.segments.append(read)
                continue
            closed = self._take(read)
            if closed is not None:
                yield closed
        closed = self._finish(last)
        if closed is not None:
            yield closed

    # -- recording ---------------------------------------------------------------------------------

    def _outside(self, problem: X12Error, *, group: bool = False) -> None:
        """A problem outside any transaction set: kept here and on the interchange (or group) it belongs to."""
        self.problems.append(problem)
        if group and self._group is not None:
            self._group.problems.append(problem)
        elif self._interchange is not None:
            self._interchange.problems.append(problem)

    def _check_segment_syntax(self, read: ReadSegment) -> X12Error | None:
        segment = read.segment
        if not segment.id and not segment.elements:
            return X12SegmentError(read.number, "", "empty segment: two segment terminators in a row")
        if segment.id not in self._well_formed_ids:
            if SEGMENT_ID.fullmatch(segment.id) and segment.id not in ENVELOPE_IDS:
                self._well_formed_ids.add(segment.id)
            elif segment.id not in ENVELOPE_IDS:
                return X12SegmentError(
                    read.number,
                    segment.id,
                    f"{segment.id!r} is not a segment id (two or three upper-case letters and digits, letter first)",
                )
        if segment.elements and segment.id != "ISA":
            last = segment.elements[-1]
            if last == "" or (isinstance(last, tuple) and last[-1] == ""):
                return X12SegmentError(
                    read.number,
                    segment.id,
                    "ends with an empty element or component (trailing separators); X12 drops them",
                )
        return None

    # -- the state machine -------------------------------------------------------------------------

    def _take(self, read: ReadSegment) -> Transaction | None:
        """Feed one segment; returns a transaction set when this segment closes one."""
        problem = self._check_segment_syntax(read)
        if problem is not None:
            if self._transaction is not None:
                self._transaction.problems.append(problem)
            else:
                self._outside(problem, group=True)
        segment_id = read.id
        if segment_id == "ISA":
            return self._open_interchange(read)
        if segment_id == "GS":
            return self._open_group(read)
        if segment_id == "ST":
            return self._open_transaction(read)
        if segment_id == "SE":
            return self._close_transaction(read)
        if segment_id == "GE":
            return self._close_group(read)
        if segment_id == "IEA":
            return self._close_interchange(read)
        if self._transaction is not None:
            self._transaction.segments.append(read)
        elif segment_id == "TA1" and self._interchange is not None and self._group is None:
            pass  # an interchange acknowledgment sits between ISA and the first GS
        elif self._interchange is None:
            self._outside(X12EnvelopeError(read.number, segment_id, "segment after IEA, outside any interchange"))
        elif self._group is None:
            self._outside(X12EnvelopeError(read.number, segment_id, "segment outside a functional group (GS..GE)"))
        else:
            self._outside(
                X12EnvelopeError(read.number, segment_id, "segment outside a transaction set (ST..SE)"), group=True
            )
        return None

    def _abandon_transaction(self, read: ReadSegment, what: str) -> Transaction | None:
        transaction = self._transaction
        if transaction is None:
            return None
        start = transaction.header
        transaction.problems.append(
            X12EnvelopeError(
                read.number,
                read.id,
                f"{what} before SE: the transaction set opened at segment {start.number} (ST02 "
                f"{transaction.control_number!r}) has no trailer",
            )
        )
        self._transaction = None
        return transaction

    def _abandon_group(self, read: ReadSegment, what: str) -> None:
        group = self._group
        if group is None:
            return
        self._outside(
            X12EnvelopeError(
                read.number,
                read.id,
                f"{what} before GE: the functional group opened at segment {group.header.number} (GS06 "
                f"{group.control_number!r}) has no trailer",
            ),
            group=True,
        )
        self._group = None

    def _open_interchange(self, read: ReadSegment) -> Transaction | None:
        pending = self._abandon_transaction(read, "ISA")
        self._abandon_group(read, "ISA")
        if self._interchange is not None:
            previous = self._interchange
            self._outside(
                X12EnvelopeError(
                    read.number,
                    "ISA",
                    f"ISA before IEA: the interchange opened at segment {previous.header.number} (ISA13 "
                    f"{previous.control_number!r}) has no trailer",
                )
            )
        separators = self._reader.separators
        assert separators is not None  # the reader sets them before it yields an ISA
        interchange = Interchange(read, separators)
        self.interchanges.append(interchange)
        self._interchange = interchange
        self._group_numbers = {}
        if interchange.version >= VERSION_5010 and separators.repetition is None:
            self._outside(
                X12EnvelopeError(
                    read.number,
                    "ISA",
                    f"ISA11 is {read.segment.element(11)!r}, not a repetition separator: from version 00501 "
                    "(ISA12) ISA11 holds the repetition separator ('U' was the 004010 standards identifier)",
                )
            )
        number = interchange.control_number
        if not INTERCHANGE_CONTROL_NUMBER.fullmatch(number):
            self._outside(X12EnvelopeError(read.number, "ISA", f"ISA13 {number!r} must be 9 digits"))
        elif number in self._interchange_numbers:
            self._outside(
                X12ControlNumberError(
                    read.number,
                    "ISA",
                    f"ISA13 {number} is already used by the interchange at segment {self._interchange_numbers[number]}",
                )
            )
        else:
            self._interchange_numbers[number] = read.number
        if read.segment.element(14) not in ("0", "1"):
            self._outside(X12EnvelopeError(read.number, "ISA", f"ISA14 {read.segment.element(14)!r} must be 0 or 1"))
        if interchange.usage not in ("P", "T"):
            self._outside(
                X12EnvelopeError(read.number, "ISA", f"ISA15 {interchange.usage!r} must be P (production) or T (test)")
            )
        return pending

    def _open_group(self, read: ReadSegment) -> Transaction | None:
        pending = self._abandon_transaction(read, "GS")
        self._abandon_group(read, "another GS")
        interchange = self._interchange
        if interchange is None:
            self._outside(X12EnvelopeError(read.number, "GS", "GS after IEA, outside any interchange"))
            interchange = self.interchanges[-1]  # keep the group's context; the reader always starts with an ISA
        interchange.group_count += 1
        group = FunctionalGroup(read, interchange)
        self._group = group
        if len(read.segment.elements) < 8:
            self._outside(
                X12EnvelopeError(
                    read.number, "GS", f"GS has {len(read.segment.elements)} elements; GS01-GS08 are all required"
                ),
                group=True,
            )
        number = group.control_number
        if not GROUP_CONTROL_NUMBER.fullmatch(number):
            self._outside(X12EnvelopeError(read.number, "GS", f"GS06 {number!r} must be 1 to 9 digits"), group=True)
        elif number in self._group_numbers:
            self._outside(
                X12ControlNumberError(
                    read.number,
                    "GS",
                    f"GS06 {number} is already used by the group at segment {self._group_numbers[number]} in this "
                    "interchange",
                ),
                group=True,
            )
        else:
            self._group_numbers[number] = read.number
        return pending

    def _open_transaction(self, read: ReadSegment) -> Transaction | None:
        pending = self._abandon_transaction(read, "another ST")
        interchange = self._interchange or self.interchanges[-1]
        group = self._group
        transaction = Transaction([read], interchange, group)
        self._transaction = transaction
        if self._interchange is None:
            transaction.problems.append(X12EnvelopeError(read.number, "ST", "ST after IEA, outside any interchange"))
        if group is None:
            transaction.problems.append(
                X12EnvelopeError(read.number, "ST", "ST outside a functional group (no GS before it)")
            )
            return pending
        group.transaction_count += 1
        number = transaction.control_number
        if not TRANSACTION_CONTROL_NUMBER.fullmatch(number):
            transaction.problems.append(
                X12EnvelopeError(read.number, "ST", f"ST02 {number!r} must be 4 to 9 letters or digits")
            )
        elif number in group.transaction_control_numbers:
            transaction.problems.append(
                X12ControlNumberError(
                    read.number,
                    "ST",
                    f"ST02 {number} is already used by the transaction set at segment "
                    f"{group.transaction_control_numbers[number]} in this functional group",
                )
            )
        else:
            group.transaction_control_numbers[number] = read.number
        st03 = read.segment.element(3)
        if st03 and group.version and st03 != group.version:
            transaction.problems.append(
                X12EnvelopeError(
                    read.number,
                    "ST",
                    f"ST03 {st03!r} differs from GS08 {group.version!r} (segment {group.header.number})",
                )
            )
        return pending

    def _close_transaction(self, read: ReadSegment) -> Transaction | None:
        transaction = self._transaction
        if transaction is None:
            self._outside(X12EnvelopeError(read.number, "SE", "SE without an ST before it"), group=True)
            return None
        transaction.segments.append(read)
        self._transaction = None
        declared = read.segment.element(1)
        actual = len(transaction.segments)
        count = _count(declared)
        if count is None:
            transaction.problems.append(X12CountError(read.number, "SE", f"SE01 {clip(declared)!r} is not a number"))
        elif count != actual:
            transaction.problems.append(
                X12CountError(
                    read.number, "SE", f"SE01 says {count} segments, the transaction has {actual} (ST through SE)"
                )
            )
        se02 = read.segment.element(2)
        if se02 != transaction.control_number:
            transaction.problems.append(
                X12ControlNumberError(
                    read.number,
                    "SE",
                    f"SE02 {se02!r} differs from ST02 {transaction.control_number!r} "
                    f"(segment {transaction.header.number})",
                )
            )
        return transaction

    def _close_group(self, read: ReadSegment) -> Transaction | None:
        pending = self._abandon_transaction(read, "GE")
        group = self._group
        if group is None:
            self._outside(X12EnvelopeError(read.number, "GE", "GE without a GS before it"))
            return pending
        group.trailer = read
        declared = read.segment.element(1)
        count = _count(declared)
        if count is None:
            self._outside(X12CountError(read.number, "GE", f"GE01 {clip(declared)!r} is not a number"), group=True)
        elif count != group.transaction_count:
            self._outside(
                X12CountError(
                    read.number,
                    "GE",
                    f"GE01 says {count} transaction sets, the group has {group.transaction_count}",
                ),
                group=True,
            )
        ge02 = read.segment.element(2)
        if ge02 != group.control_number:
            self._outside(
                X12ControlNumberError(
                    read.number,
                    "GE",
                    f"GE02 {ge02!r} differs from GS06 {group.control_number!r} (segment {group.header.number})",
                ),
                group=True,
            )
        self._group = None
        return pending

    def _close_interchange(self, read: ReadSegment) -> Transaction | None:
        pending = self._abandon_transaction(read, "IEA")
        self._abandon_group(read, "IEA")
        interchange = self._interchange
        if interchange is None:
            self._outside(X12EnvelopeError(read.number, "IEA", "IEA without an ISA before it"))
            return pending
        interchange.trailer = read
        declared = read.segment.element(1)
        count = _count(declared)
        if count is None:
            self._outside(X12CountError(read.number, "IEA", f"IEA01 {clip(declared)!r} is not a number"))
        elif count != interchange.group_count:
            self._outside(
                X12CountError(
                    read.number,
                    "IEA",
                    f"IEA01 says {count} functional groups, the interchange has {interchange.group_count}",
                )
            )
        iea02 = read.segment.element(2)
        if iea02 != interchange.control_number:
            self._outside(
                X12ControlNumberError(
                    read.number,
                    "IEA",
                    f"IEA02 {iea02!r} differs from ISA13 {interchange.control_number!r} (segment "
                    f"{interchange.header.number})",
                )
            )
        self._interchange = None
        return pending

    def _finish(self, last: ReadSegment | None) -> Transaction | None:
        """At the end of the file: whatever is still open was never closed."""
        if last is None:
            return None
        transaction = self._transaction
        if transaction is not None:
            transaction.problems.append(
                X12EnvelopeError(
                    last.number,
                    last.id,
                    f"the file ends before SE: the transaction set opened at segment {transaction.header.number} "
                    "has no trailer",
                )
            )
            self._transaction = None
        if self._group is not None:
            self._outside(
                X12EnvelopeError(
                    last.number,
                    last.id,
                    f"the file ends before GE: the group opened at segment {self._group.header.number} has no trailer",
                ),
                group=True,
            )
            self._group = None
        if self._interchange is not None:
            self._outside(
                X12EnvelopeError(
                    last.number,
                    last.id,
                    f"the file ends before IEA: the interchange opened at segment {self._interchange.header.number} "
                    "has no trailer",
                )
            )
            self._interchange = None
        return transaction


def iter_transactions(source: Source, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[Transaction]:
    """Each ST..SE of ``source`` with its envelope context and problems; see :class:`EnvelopeReader`."""
    return iter(EnvelopeReader(source, chunk_size=chunk_size))


def check_envelopes(source: Source, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> list[X12Error]:
    """Reads all of ``source`` and returns every envelope and segment problem, in file order."""
    reader = EnvelopeReader(source, chunk_size=chunk_size)
    found: list[X12Error] = []
    for transaction in reader:
        found.extend(transaction.problems)
    found.extend(reader.problems)
    return sorted(found, key=lambda p: p.segment_number or 0)
