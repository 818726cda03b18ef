"""What can be wrong with an X12 file, one class per family, each naming the segment number and id.

Families follow the layers of ASC X12 005010: characters and delimiters (ISA), segments, envelopes
(ISA/IEA, GS/GE, ST/SE), the implementation guide's loops, element values, and our own Claim.

PtbillError
└── X12Error                   base: ``segment_number`` (1-based, in the file), ``segment_id``, ``detail``
    ├── X12SyntaxError         RAISED: the characters cannot be read as X12, so reading stops
    │   ├── X12HeaderError       the file does not start with a 106-character ISA, or its delimiters are unusable
    │   ├── X12EncodingError     a byte or character outside ASCII, or a text stream that cannot be decoded
    │   └── X12TruncatedError    the file ends inside the ISA or inside a segment (no terminator)
    ├── X12SegmentError        recorded: a segment that reads but is malformed (bad or unknown id, empty,
    │                          trailing separators)
    ├── X12StructureError      recorded: the shape of the file
    │   ├── X12EnvelopeError     ISA/IEA, GS/GE, ST/SE missing, misnested, or with bad header values
    │   ├── X12ControlNumberError  ISA13≠IEA02, GS06≠GE02, ST02≠SE02, or a control number used twice
    │   ├── X12CountError        IEA01, GE01 or SE01 does not match what the envelope holds
    │   └── X12LoopError         a guide's loop or HL missing, repeated too often, misplaced or out of order
    ├── X12ElementError        recorded: an element value that is missing or malformed (date, amount, code)
    └── X12MappingError        recorded: the file is readable but ptbill's Claim needs something it does
                               not give (a birth date, an NPI) or cannot hold what it gives (a date range)

Only ``X12SyntaxError`` and its subclasses are raised by the readers; every other family is collected
in a ``problems`` list beside what could be read, so one bad claim never hides the others.
"""

from __future__ import annotations

from ptbill.domain.errors import PtbillError


def clip(value: str, limit: int = 40) -> str:
    """A value as a message quotes it: at most ``limit`` characters, so a hostile file cannot flood a report."""
    return value if len(value) <= limit else value[: limit - 3] + "..."


class X12Error(PtbillError):
    """Something wrong at one place in an X12 file; the message reads "segment 12 (SE): ..."."""

    def __init__(self, segment_number: int | None, segment_id: str, detail: str) -> None:
        self.segment_number = segment_number
        self.segment_id = segment_id
        self.detail = detail
        super().__init__(self._format())

    def _format(self) -> str:
        if self.segment_number is None:
            return self.detail
        shown = self.segment_id if self.segment_id else "no id"
        return f"segment {self.segment_number} ({shown}): {self.detail}"

    def __reduce__(self) -> tuple[type[X12Error], tuple[int | None, str, str]]:
        # Keeps the three-argument constructor working through pickle and copy.
        return (type(self), (self.segment_number, self.segment_id, self.detail))


class X12SyntaxError(X12Error):
    """The characters cannot be read as X12; reading stops here."""


class X12HeaderError(X12SyntaxError):
    """The ISA is missing, is not the fixed 106 characters, or declares unusable delimiters."""


class X12EncodingError(X12SyntaxError):
    """A byte or character outside ASCII (X12 basic and extended character sets are ASCII)."""


class X12TruncatedError(X12SyntaxError):
    """The file ends inside the ISA or inside a segment, before its terminator."""


class X12SegmentError(X12Error):
    """A segment that can be read but is malformed: its id, emptiness, or trailing separators."""


class X12StructureError(X12Error):
    """The shape of the file (envelopes or loops) is wrong."""


class X12EnvelopeError(X12StructureError):
    """ISA/IEA, GS/GE or ST/SE is missing, misnested, or carries a bad header value."""


class X12ControlNumberError(X12StructureError):
    """A trailer's control number differs from its header's, or a control number is used twice."""


class X12CountError(X12StructureError):
    """IEA01, GE01 or SE01 does not match the number of groups, transactions or segments."""


class X12LoopError(X12StructureError):
    """An implementation guide's loop or hierarchical level is missing, repeated, misplaced or out of order."""


class X12ElementError(X12Error):
    """An element value is missing or malformed where it is read: a date, an amount, a code, a qualifier."""


class X12MappingError(X12Error):
    """The file is readable, but ptbill's domain object needs what it does not give or cannot hold what it gives."""
