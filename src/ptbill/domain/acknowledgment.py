"""The 999 implementation acknowledgment as values: whether a sent functional group and each of its
transaction sets was accepted, and the segment and element errors the receiver found.

A 999 only says the file's syntax and implementation rules were met; whether a claim entered
adjudication is the 277CA's answer (``domain.claim_status``). Source: ASC X12 005010X231A1.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ptbill.domain.coded import Coded


class AckVerdict(StrEnum):
    """IK501 and AK901 read in words (A, E, P, and the rejections R, M, W, X)."""

    ACCEPTED = "accepted"
    ACCEPTED_WITH_ERRORS = "accepted with errors"
    PARTIALLY_ACCEPTED = "partially accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ElementNote:
    """An IK4: one bad element of the segment above it."""

    position: int | None  # IK401-1, in the segment
    component: int | None  # IK401-2
    repetition: int | None  # IK401-3
    reference_number: str | None  # IK402, the data element dictionary number
    error: Coded  # IK403
    bad_value: str | None  # IK404


@dataclass(frozen=True, slots=True)
class SegmentNote:
    """An IK3: a segment in error, where it is (counted from ST = 1) and why, with its IK4s and contexts."""

    segment_id: str  # IK301
    position: int | None  # IK302
    loop: str | None  # IK303
    error: Coded  # IK304
    context: tuple[str, ...]  # CTX texts, e.g. 'CLM01 123456789'
    elements: tuple[ElementNote, ...]


@dataclass(frozen=True, slots=True)
class TransactionSetAck:
    """An AK2..IK5: the answer for one sent transaction set."""

    transaction_set_id: str  # AK201, e.g. 837
    control_number: str  # AK202, the sent ST02
    guide: str | None  # AK203
    verdict: AckVerdict
    code: Coded  # IK501
    errors: tuple[Coded, ...]  # IK502..IK506
    segments: tuple[SegmentNote, ...]

    @property
    def claim_ids(self) -> tuple[str, ...]:
        """The patient control numbers (CTX CLM01) the segment errors point to."""
        found = [c.split(" ", 1)[1] for s in self.segments for c in s.context if c.startswith("CLM01 ")]
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True, slots=True)
class GroupAck:
    """The AK1 and AK9: the sent functional group and the answer for it as a whole."""

    functional_id: str  # AK101, e.g. HC
    group_control_number: str  # AK102, the sent GS06
    guide: str | None  # AK103
    verdict: AckVerdict
    code: Coded  # AK901
    sets_included: int | None  # AK902
    sets_received: int | None  # AK903
    sets_accepted: int | None  # AK904
    errors: tuple[Coded, ...]  # AK905..AK909
    transaction_sets: tuple[TransactionSetAck, ...]


@dataclass(frozen=True, slots=True)
class ImplementationAck:
    """One 999 transaction set."""

    control_number: str
    sender_id: str
    receiver_id: str
    group: GroupAck | None
    problems: tuple[str, ...]  # what in the 999 itself is malformed, each naming its segment and element

    @property
    def verdict(self) -> AckVerdict:
        return self.group.verdict if self.group else AckVerdict.UNKNOWN
