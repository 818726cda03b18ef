"""Reads X12 837P 005010X222A1 claims back into ``Claim`` objects, with every problem found on the way.

Source: the X222A1 TR3 loops (1000A/B; 2000A/2010AA-AC; 2000B/2010BA-BB; 2000C/2010CA; 2300/2310A-F,
2320/2330A-G; 2400/2410, 2420A-H, 2430, 2440) and the CMS-1500 mapping of Claims Processing Manual ch.26.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar, cast

from ptbill.claims.x12_837p import GUIDE
from ptbill.domain.claim import Claim, ClaimFrequency, ClaimParty, ClaimPayer, Person, PostalAddress, ServiceLine
from ptbill.domain.identifiers import bounded_int, is_ascii_digits
from ptbill.domain.vocabulary import ClaimFilingIndicator
from ptbill.x12.envelope import SEGMENT_ID, EnvelopeIds, EnvelopeReader, Transaction
from ptbill.x12.errors import (
    X12ElementError,
    X12EnvelopeError,
    X12Error,
    X12LoopError,
    X12MappingError,
    X12SegmentError,
    clip,
)
from ptbill.x12.reader import DEFAULT_CHUNK_SIZE, ReadSegment, Source
from ptbill.x12.syntax import Segment

GUIDE_FAMILY = "005010X222"  # X222A1 is HIPAA's; X222/X222A2 files are read the same way, with a note
T = TypeVar("T")


# --- the loop tree the TR3 defines ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoopSpec:
    """One TR3 loop: the segment (and qualifier in its first element) that opens it, and what it may hold."""

    id: str
    name: str
    trigger: str
    qualifiers: frozenset[str] = frozenset()  # NM101 (or HL03 for HL loops); empty means any
    order: tuple[str, ...] = ()  # segment ids in TR3 order, the trigger first; empty means not checked
    required: tuple[str, ...] = ()
    children: tuple[str, ...] = ()  # loops that open inside this one, in TR3 order (HL loops nest by HL02)
    required_children: tuple[str, ...] = ()
    max_repeat: int | None = 1  # per parent loop; None is unbounded


def _loop(
    loop_id: str,
    name: str,
    trigger: str,
    order: str,
    required: str,
    children: str = "",
    required_children: str = "",
    *,
    qualifiers: str = "",
    max_repeat: int | None = 1,
) -> LoopSpec:
    """A LoopSpec from space-separated lists, so the table below reads like the TR3's loop summary."""
    return LoopSpec(
        loop_id,
        name,
        trigger,
        frozenset(qualifiers.split()),
        tuple(order.split()),
        tuple(required.split()),
        tuple(children.split()),
        tuple(required_children.split()),
        max_repeat,
    )


def _name_loop(
    loop_id: str, name: str, entity: str, order: str = "NM1 REF", required: str = "NM1", repeat: int = 1
) -> LoopSpec:
    """A loop opened by NM1 with one of the entity identifier codes (NM101) in ``entity``."""
    return _loop(loop_id, name, "NM1", order, required, qualifiers=entity, max_repeat=repeat)


TRANSACTION_LOOP = "TRANSACTION"
SPECS: dict[str, LoopSpec] = {
    spec.id: spec
    for spec in (
        _loop(TRANSACTION_LOOP, "Transaction Set Header", "ST", "ST BHT", "ST BHT", "1000A 1000B", "1000A 1000B"),
        _name_loop("1000A", "Submitter Name", "41", "NM1 PER", "NM1 PER"),
        _name_loop("1000B", "Receiver Name", "40", "NM1"),
        _loop(
            "2000A",
            "Billing Provider Hierarchical Level",
            "HL",
            "HL PRV CUR",
            "HL",
            "2010AA 2010AB 2010AC",
            "2010AA",
            qualifiers="20",
            max_repeat=None,
        ),
        _name_loop("2010AA", "Billing Provider Name", "85", "NM1 N3 N4 REF PER", "NM1 N3 N4 REF"),
        _name_loop("2010AB", "Pay-to Address Name", "87", "NM1 N3 N4", "NM1 N3 N4"),
        _name_loop("2010AC", "Pay-to Plan Name", "PE", "NM1 N3 N4 REF", "NM1 N3 N4 REF"),
        _loop(
            "2000B",
            "Subscriber Hierarchical Level",
            "HL",
            "HL SBR PAT",
            "HL SBR",
            "2010BA 2010BB 2300",
            "2010BA 2010BB",
            qualifiers="22",
            max_repeat=None,
        ),
        _name_loop("2010BA", "Subscriber Name", "IL", "NM1 N3 N4 DMG REF PER"),
        _name_loop("2010BB", "Payer Name", "PR", "NM1 N3 N4 REF"),
        _loop(
            "2000C",
            "Patient Hierarchical Level",
            "HL",
            "HL PAT",
            "HL PAT",
            "2010CA 2300",
            "2010CA",
            qualifiers="23",
            max_repeat=None,
        ),
        _name_loop("2010CA", "Patient Name", "QC", "NM1 N3 N4 DMG REF PER", "NM1 N3 N4 DMG"),
        _loop(
            "2300",
            "Claim Information",
            "CLM",
            "CLM DTP PWK CN1 AMT REF K3 NTE CR1 CR2 CRC HI HCP",
            "CLM HI",
            "2310A 2310B 2310C 2310D 2310E 2310F 2320 2400",
            "2400",
            max_repeat=100,
        ),
        _name_loop("2310A", "Referring Provider Name", "DN P3", repeat=2),
        _name_loop("2310B", "Rendering Provider Name", "82", "NM1 PRV REF"),
        _name_loop("2310C", "Service Facility Location Name", "77", "NM1 N3 N4 REF PER", "NM1 N3 N4"),
        _name_loop("2310D", "Supervising Provider Name", "DQ"),
        _name_loop("2310E", "Ambulance Pick-up Location", "PW", "NM1 N3 N4", "NM1 N3 N4"),
        _name_loop("2310F", "Ambulance Drop-off Location", "45", "NM1 N3 N4", "NM1 N3 N4"),
        _loop(
            "2320",
            "Other Subscriber Information",
            "SBR",
            "SBR CAS AMT OI MOA",
            "SBR OI",
            "2330A 2330B 2330C 2330D 2330E 2330F 2330G",
            "2330A 2330B",
            max_repeat=10,
        ),
        _name_loop("2330A", "Other Subscriber Name", "IL", "NM1 N3 N4 REF"),
        _name_loop("2330B", "Other Payer Name", "PR", "NM1 N3 N4 DTP REF"),
        _name_loop("2330C", "Other Payer Referring Provider", "DN P3", repeat=2),
        _name_loop("2330D", "Other Payer Rendering Provider", "82"),
        _name_loop("2330E", "Other Payer Service Facility Location", "77"),
        _name_loop("2330F", "Other Payer Supervising Provider", "DQ"),
        _name_loop("2330G", "Other Payer Billing Provider", "85"),
        _loop(
            "2400",
            "Service Line Number",
            "LX",
            "LX SV1 SV5 PWK CR1 CR3 CRC DTP QTY MEA CN1 REF AMT K3 NTE PS1 HCP",
            "LX SV1 DTP",
            "2410 2420A 2420B 2420C 2420D 2420E 2420F 2420G 2420H 2430 2440",
            max_repeat=50,
        ),
        _loop("2410", "Drug Identification", "LIN", "LIN CTP REF", "LIN CTP"),
        _name_loop("2420A", "Rendering Provider Name", "82", "NM1 PRV REF"),
        _name_loop("2420B", "Purchased Service Provider Name", "QB"),
        _name_loop("2420C", "Service Facility Location Name", "77", "NM1 N3 N4 REF", "NM1 N3 N4"),
        _name_loop("2420D", "Supervising Provider Name", "DQ"),
        _name_loop("2420E", "Ordering Provider Name", "DK", "NM1 N3 N4 REF PER"),
        _name_loop("2420F", "Referring Provider Name", "DN P3", repeat=2),
        _name_loop("2420G", "Ambulance Pick-up Location", "PW", "NM1 N3 N4", "NM1 N3 N4"),
        _name_loop("2420H", "Ambulance Drop-off Location", "45", "NM1 N3 N4", "NM1 N3 N4"),
        _loop("2430", "Line Adjudication Information", "SVD", "SVD CAS DTP AMT", "SVD DTP", max_repeat=15),
        _loop("2440", "Form Identification Code", "LQ", "LQ FRM", "LQ FRM", max_repeat=None),
    )
}
HL_LEVELS = {"20": SPECS["2000A"], "22": SPECS["2000B"], "23": SPECS["2000C"]}  # HL03 hierarchical level code
HL_PARENT_LEVEL = {"2000B": "2000A", "2000C": "2000B"}
UNKNOWN_HL = LoopSpec("HL", "Hierarchical level of an unknown kind", "HL", max_repeat=None)
UNKNOWN_NAME = LoopSpec("NM1", "Name of an unknown kind", "NM1", max_repeat=None)  # holds its N3/N4/REF quietly
KNOWN_SEGMENTS = frozenset(s for spec in SPECS.values() for s in spec.order) | {"HL", "SE"}
SEGMENT_NAMES = {
    "BHT": "beginning of hierarchical transaction",
    "CLM": "claim information",
    "CTP": "drug quantity",
    "DMG": "demographic information",
    "DTP": "date",
    "FRM": "supporting documentation",
    "HI": "diagnosis codes",
    "HL": "hierarchical level",
    "LIN": "drug identification",
    "LQ": "form identification",
    "LX": "line number",
    "N3": "address",
    "N4": "city, state, ZIP",
    "NM1": "name",
    "OI": "other insurance coverage",
    "PAT": "patient information",
    "PER": "contact information",
    "REF": "reference identification",
    "SBR": "subscriber information",
    "ST": "transaction set header",
    "SV1": "professional service",
    "SVD": "line adjudication",
}

# Element values the mapping reads (TR3 code lists).
PRINCIPAL_DIAGNOSIS = {"ABK": "ICD-10-CM", "BK": "ICD-9-CM"}  # HI01-1
OTHER_DIAGNOSIS = {"ABF": "ICD-10-CM", "BF": "ICD-9-CM"}  # HI02-1 .. HI12-1
DIAGNOSIS_QUALIFIERS = {**PRINCIPAL_DIAGNOSIS, **OTHER_DIAGNOSIS}
SELF = "18"  # SBR02 individual relationship code: the subscriber is the patient
PATIENT_RELATIONSHIP = {"01": "spouse", "19": "child"}  # PAT01; every other code reads as "other"
NPI_QUALIFIER = "XX"  # NM108 for a Centers for Medicare & Medicaid Services National Provider Identifier
TAXONOMY_QUALIFIER = "PXC"  # PRV02 health care provider taxonomy code
SERVICE_DATE = "472"  # DTP01 in 2400
PROCEDURE_CODE = re.compile(r"[A-Z0-9]{5}")
AMOUNT = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
MAX_AMOUNT_LENGTH = 18  # X12 data type R: at most 18 characters (SV102, CLM02), 15 for SV104
MAX_LINE_NUMBER_DIGITS = 6  # LX01 is N0 1/6
MAX_DIAGNOSES = 12


# --- the tree ------------------------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class Loop:
    """One occurrence of a TR3 loop: its segments in file order and the loops nested in it."""

    spec: LoopSpec
    segments: list[ReadSegment] = field(default_factory=list)
    children: list[Loop] = field(default_factory=list, repr=False)
    parent: Loop | None = field(default=None, repr=False)
    problems: list[X12Error] = field(default_factory=list, repr=False)
    _last_order: int = field(default=0, repr=False)
    _last_child: int = field(default=-1, repr=False)
    _lost: bool = field(default=False, repr=False)  # after one misplaced segment the rest of the loop is not judged
    _child_counts: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def start(self) -> ReadSegment:
        return self.segments[0]

    def first(self, segment_id: str, qualifier: str | None = None) -> ReadSegment | None:
        """The first segment with this id (and, when given, this value in its first element)."""
        for read in self.segments:
            if read.segment.id == segment_id and (qualifier is None or read.segment.element(1) == qualifier):
                return read
        return None

    def all(self, segment_id: str, qualifier: str | None = None) -> list[ReadSegment]:
        return [
            r for r in self.segments if r.id == segment_id and (qualifier is None or r.segment.element(1) == qualifier)
        ]

    def child(self, loop_id: str, qualifier: str | None = None) -> Loop | None:
        """The first nested loop with this id (and, when given, this NM101 / HL03 on its first segment)."""
        for loop in self.children:
            if loop.id == loop_id and (qualifier is None or loop.start.segment.element(1) == qualifier):
                return loop
        return None

    def children_with(self, loop_id: str) -> list[Loop]:
        return [loop for loop in self.children if loop.id == loop_id]

    def ancestor(self, loop_id: str) -> Loop | None:
        loop = self.parent
        while loop is not None and loop.id != loop_id:
            loop = loop.parent
        return loop

    def walk(self) -> Iterator[Loop]:
        """This loop and every loop nested in it, depth first, in the order they appear."""
        pending = [self]
        while pending:
            loop = pending.pop()
            yield loop
            pending.extend(reversed(loop.children))

    def describe(self) -> str:
        return f"loop {self.id} ({self.name})"


def _qualifier(spec: LoopSpec, segment: Segment) -> str:
    return segment.element(3) if spec.trigger == "HL" else segment.element(1)


def _subtree_problems(top: Loop) -> list[X12Error]:
    found: list[X12Error] = []
    pending = [top]
    while pending:
        loop = pending.pop()
        found.extend(loop.problems)
        pending.extend(loop.children)
    return found


# Per host loop: which segment ids may open which of its child loops (NM1 is told apart by NM101).
CHILD_TRIGGERS: dict[str, dict[str, tuple[LoopSpec, ...]]] = {
    host.id: {
        trigger: tuple(SPECS[c] for c in host.children if SPECS[c].trigger == trigger)
        for trigger in {SPECS[c].trigger for c in host.children}
    }
    for host in SPECS.values()
}
LOOP_TRIGGERS = frozenset(trigger for triggers in CHILD_TRIGGERS.values() for trigger in triggers)


class _TreeBuilder:
    """Places each segment of one ST..SE into the loop tree, recording what is out of place."""

    def __init__(self, transaction: Transaction) -> None:
        self.root = Loop(SPECS[TRANSACTION_LOOP])
        self.stack: list[Loop] = [self.root]
        self.hl_by_id: dict[str, Loop] = {}
        self.hl_loops: list[Loop] = []
        self.claims: list[Loop] = []  # every 2300, in file order
        segments = transaction.segments
        self.root.segments.append(segments[0])
        for read in segments[1:]:
            segment_id = read.segment.id
            if segment_id in LOOP_TRIGGERS:
                self._place(read)
            elif segment_id == "HL":
                self._hierarchical_level(read)
            elif segment_id == "SE":
                self.root.segments.append(read)
            else:
                self._append(self.stack[-1], read)
        self._check()

    def _hierarchical_level(self, read: ReadSegment) -> None:
        segment = read.segment
        hl_id, parent_id, level, child_code = (segment.element(i) for i in (1, 2, 3, 4))
        spec = HL_LEVELS.get(level)
        loop = Loop(spec or UNKNOWN_HL, [read])
        if spec is None:
            loop.problems.append(
                X12ElementError(
                    read.number,
                    "HL",
                    f"HL03 {level!r} is not an 837P level (20 billing provider, 22 subscriber, 23 patient)",
                )
            )
        expected = str(len(self.hl_loops) + 1)
        if hl_id in self.hl_by_id:
            loop.problems.append(
                X12LoopError(
                    read.number,
                    "HL",
                    f"HL01 {hl_id} is already the id of the HL at segment "
                    f"{self.hl_by_id[hl_id].start.number}; HL ids count up from 1",
                )
            )
        elif hl_id != expected:
            loop.problems.append(
                X12LoopError(
                    read.number, "HL", f"HL01 is {hl_id!r}, expected {expected}: HL ids count up from 1 in each ST..SE"
                )
            )
        parent = self._hl_parent(loop, parent_id, read)
        loop.parent = parent
        parent.children.append(loop)
        if child_code not in ("0", "1"):
            loop.problems.append(
                X12ElementError(read.number, "HL", f"HL04 {child_code!r} must be 1 (child HLs follow) or 0 (none)")
            )
        self.hl_by_id[hl_id] = loop
        self.hl_loops.append(loop)
        self.stack = self._path(loop)

    def _hl_parent(self, loop: Loop, parent_id: str, read: ReadSegment) -> Loop:
        if loop.spec is UNKNOWN_HL:
            return self.hl_by_id.get(parent_id, self.root)
        wanted = HL_PARENT_LEVEL.get(loop.id)
        if wanted is None:
            if parent_id:
                loop.problems.append(
                    X12LoopError(
                        read.number, "HL", f"a billing provider HL (2000A) has no parent, but HL02 is {parent_id!r}"
                    )
                )
            return self.root
        parent = self.hl_by_id.get(parent_id)
        if parent is None:
            said = f"HL02 {parent_id!r} names no earlier HL" if parent_id else "HL02 is empty"
            loop.problems.append(
                X12LoopError(
                    read.number, "HL", f"{said}; a {loop.name.lower()} ({loop.id}) names its {wanted} HL as parent"
                )
            )
        elif parent.id != wanted:
            loop.problems.append(
                X12LoopError(
                    read.number,
                    "HL",
                    f"HL02 {parent_id} names a {parent.id} HL; the parent of a {loop.id} is a {wanted}",
                )
            )
            parent = None
        if parent is None:
            # Keep the claims readable: hang the level under the latest HL of the right kind.
            parent = next((hl for hl in reversed(self.hl_loops) if hl.id == wanted), self.root)
        return parent

    @staticmethod
    def _path(loop: Loop) -> list[Loop]:
        path = [loop]
        while path[-1].parent is not None:
            parent = path[-1].parent
            assert parent is not None
            path.append(parent)
        path.reverse()
        return path

    def _place(self, read: ReadSegment) -> None:
        segment = read.segment
        for depth in range(len(self.stack) - 1, -1, -1):
            host = self.stack[depth]
            for spec in CHILD_TRIGGERS.get(host.spec.id, {}).get(segment.id, ()):
                if not spec.qualifiers or _qualifier(spec, segment) in spec.qualifiers:
                    self._open(host, spec, read)
                    self.stack = [*self.stack[: depth + 1], host.children[-1]]
                    return
        current = self.stack[-1]
        if segment.id == "NM1" and self._unknown_name(read):
            return
        if segment.id == "CLM":
            # A claim must never vanish because its HL is wrong: give it a 2300 where it stands.
            host = next((loop for loop in reversed(self.stack) if loop.spec.trigger == "HL"), self.root)
            self._open(host, SPECS["2300"], read)
            host.children[-1].problems.append(
                X12LoopError(
                    read.number,
                    "CLM",
                    f"CLM in {current.describe()}: a claim belongs under a subscriber (2000B) or patient (2000C) HL",
                )
            )
            self.stack = [*self._path(host), host.children[-1]]
            return
        self._append(current, read)

    def _unknown_name(self, read: ReadSegment) -> bool:
        """An NM1 whose entity code (NM101) opens no loop here: one problem, and its N3/N4/REF go with it."""
        for depth in range(len(self.stack) - 1, -1, -1):
            host = self.stack[depth]
            names = [SPECS[c] for c in host.spec.children if SPECS[c].trigger == "NM1"]
            if names:
                expected = ", ".join(f"{q} ({spec.id})" for spec in names for q in sorted(spec.qualifiers))
                loop = Loop(UNKNOWN_NAME, [read], parent=host)
                loop.problems.append(
                    X12LoopError(
                        read.number,
                        "NM1",
                        f"NM101 {read.segment.element(1)!r} opens no loop in {host.describe()}; expected {expected}",
                    )
                )
                host.children.append(loop)
                self.stack = [*self.stack[: depth + 1], loop]
                return True
        return False

    def _open(self, host: Loop, spec: LoopSpec, read: ReadSegment) -> None:
        loop = Loop(spec, [read], parent=host)
        if spec.trigger == "NM1" and read.segment.element(2) not in ("1", "2"):
            loop.problems.append(
                X12ElementError(
                    read.number,
                    "NM1",
                    f"NM102 entity type {read.segment.element(2)!r} must be 1 (person) or 2 (organization)",
                )
            )
        siblings = host._child_counts.get(spec.id, 0)
        host._child_counts[spec.id] = siblings + 1
        if spec.id == "2300":
            self.claims.append(loop)
        if spec.max_repeat is not None and siblings >= spec.max_repeat:
            times = "once" if spec.max_repeat == 1 else f"{spec.max_repeat} times"
            loop.problems.append(
                X12LoopError(
                    read.number,
                    read.id,
                    f"another {spec.id} ({spec.name}) in {host.describe()} at segment "
                    f"{host.start.number}; it may appear {times}",
                )
            )
        if spec.id in host.spec.children:
            position = host.spec.children.index(spec.id)
            if position < host._last_child:
                later = host.spec.children[host._last_child]
                loop.problems.append(
                    X12LoopError(
                        read.number,
                        read.id,
                        f"loop {spec.id} ({spec.name}) comes after loop {later}; in "
                        f"{host.describe()} the TR3 puts {spec.id} first",
                    )
                )
            host._last_child = max(host._last_child, position)
        host.children.append(loop)

    def _append(self, loop: Loop, read: ReadSegment) -> None:
        loop.segments.append(read)
        segment_id = read.id
        order = loop.spec.order
        if not order or loop._lost:
            return
        if segment_id in order:
            position = order.index(segment_id)
            if position < loop._last_order:
                loop.problems.append(
                    X12LoopError(
                        read.number,
                        segment_id,
                        f"{segment_id} is out of order in {loop.describe()}: the TR3 order is "
                        f"{', '.join(order)}, and {order[loop._last_order]} came before it",
                    )
                )
                loop._lost = True
            loop._last_order = max(loop._last_order, position)
            return
        loop._lost = True
        if segment_id in KNOWN_SEGMENTS:
            home = next((SPECS[c] for c in loop.spec.children if segment_id in SPECS[c].order), None)
            hint = f"; it belongs in loop {home.id} ({home.name}), which starts with {home.trigger}" if home else ""
            loop.problems.append(
                X12LoopError(read.number, segment_id, f"{segment_id} does not belong in {loop.describe()} here{hint}")
            )
        elif SEGMENT_ID.fullmatch(segment_id):  # a malformed id is already the envelope reader's report
            loop.problems.append(
                X12SegmentError(
                    read.number, segment_id, f"{segment_id} is not a segment of the 837P ({loop.describe()})"
                )
            )
        else:
            loop._lost = False

    def _check(self) -> None:
        """What the TR3 requires but the transaction lacks; HL04 against the HLs that really follow."""
        for loop in self.root.walk():
            spec = loop.spec
            present = {r.id for r in loop.segments}
            for required in spec.required:
                if required not in present:
                    name = SEGMENT_NAMES.get(required, "")
                    loop.problems.append(
                        X12LoopError(
                            loop.start.number,
                            loop.start.id,
                            f"{loop.describe()} has no {required}{f' ({name})' if name else ''}, "
                            "which the TR3 requires",
                        )
                    )
            if "N3" in spec.order and "N3" not in spec.required and ("N3" in present) != ("N4" in present):
                has, lacks = ("N3", "N4") if "N3" in present else ("N4", "N3")
                loop.problems.append(
                    X12LoopError(
                        loop.start.number,
                        loop.start.id,
                        f"{loop.describe()} has {has} but no {lacks}: an address needs both",
                    )
                )
            child_ids = {c.id for c in loop.children}
            for required in spec.required_children:
                if required not in child_ids:
                    loop.problems.append(
                        X12LoopError(
                            loop.start.number,
                            loop.start.id,
                            f"{loop.describe()} has no loop {required} ({SPECS[required].name}), "
                            "which the TR3 requires",
                        )
                    )
        for loop in self.hl_loops:
            child_code = loop.start.segment.element(4)
            has_children = any(c.spec.trigger == "HL" for c in loop.children)
            if child_code == "1" and not has_children:
                loop.problems.append(
                    X12LoopError(
                        loop.start.number,
                        "HL",
                        f"HL04 says child HLs follow, but no HL names HL {loop.start.segment.element(1)} as its parent",
                    )
                )
            elif child_code == "0" and has_children:
                loop.problems.append(
                    X12LoopError(
                        loop.start.number,
                        "HL",
                        f"HL04 says no child HLs follow, but HL {loop.start.segment.element(1)} has children",
                    )
                )


def build_hierarchy(transaction: Transaction) -> Loop:
    """The TR3 loop tree of one 837P transaction set; structure problems are on each loop's ``problems``."""
    return _TreeBuilder(transaction).root


# --- the results ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedClaim:
    """One 2300 claim as read: the ``Claim`` when everything it needs is there, else None.

    ``lines`` and ``diagnoses`` hold what could be read even when ``claim`` is None. When ``claim``
    is None, ``problems`` holds at least one X12MappingError saying what was missing.
    """

    claim_id: str  # CLM01 patient control number
    segment_number: int  # the CLM's position in the file
    envelope: EnvelopeIds
    claim: Claim | None
    lines: tuple[ServiceLine, ...]
    diagnoses: tuple[str, ...]
    diagnosis_code_set: str  # ICD-10-CM (ABK/ABF qualifiers), ICD-9-CM (BK/BF), or '' when there is no HI
    problems: tuple[X12Error, ...]
    loop: Loop = field(repr=False)

    @property
    def ok(self) -> bool:
        return self.claim is not None and not self.problems


@dataclass(frozen=True, slots=True)
class ClaimTransaction:
    """One 837P ST..SE: its claims, its loop tree, and the problems not tied to one claim."""

    envelope: EnvelopeIds
    transaction: Transaction = field(repr=False)
    hierarchy: Loop = field(repr=False)
    claims: tuple[ParsedClaim, ...]
    problems: tuple[X12Error, ...]  # envelope problems of this ST..SE and loop problems outside any 2300

    def all_problems(self) -> list[X12Error]:
        """This transaction's problems, its claims', and its interchange's and group's known so far, in file order."""
        seen: set[int] = set()
        found: list[X12Error] = []
        for problem in (
            *self.transaction.envelope_problems,
            *self.problems,
            *(p for c in self.claims for p in c.problems),
        ):
            if id(problem) not in seen:
                seen.add(id(problem))
                found.append(problem)
        return sorted(found, key=lambda p: p.segment_number or 0)


# --- reading values --------------------------------------------------------------------------------------


class _Notes:
    """Problems found while mapping one claim, and the few the whole claim cannot do without."""

    def __init__(self) -> None:
        self.problems: list[X12Error] = []
        self.blocking = False

    def add(self, problem: X12Error) -> None:
        self.problems.append(problem)

    def block(self, read: ReadSegment | None, loop: Loop, detail: str) -> None:
        """Something the Claim needs is missing: the claim is still reported, without a Claim."""
        where = read or loop.start
        self.problems.append(X12MappingError(where.number, where.id, detail))
        self.blocking = True


def _filing_indicator(sbr: Segment, payer: ReadSegment, notes: _Notes) -> ClaimFilingIndicator:
    """SBR09 claim filing indicator; a code outside the list is reported and read as mutually defined (ZZ)."""
    code = sbr.element(9)
    try:
        return ClaimFilingIndicator(code)
    except ValueError:
        notes.add(X12ElementError(payer.number, "SBR", f"SBR09 claim filing indicator {clip(code)!r} is not a code"))
        return ClaimFilingIndicator.MUTUALLY_DEFINED


def _date(text: str, read: ReadSegment, what: str, notes: _Notes) -> date | None:
    if len(text) == 8 and is_ascii_digits(text):
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            pass
    notes.add(X12ElementError(read.number, read.id, f"{what} {clip(text)!r} is not a date (CCYYMMDD)"))
    return None


def _amount(text: str, read: ReadSegment, what: str, notes: _Notes) -> Decimal | None:
    if len(text) <= MAX_AMOUNT_LENGTH and AMOUNT.fullmatch(text):
        try:
            return Decimal(text)
        except InvalidOperation:
            pass
    too_long = f" (longer than {MAX_AMOUNT_LENGTH} characters)" if len(text) > MAX_AMOUNT_LENGTH else ""
    notes.add(X12ElementError(read.number, read.id, f"{what} {clip(text)!r} is not an amount{too_long}"))
    return None


def _address(loop: Loop) -> PostalAddress | None:
    street, place = loop.first("N3"), loop.first("N4")
    if street is None or place is None:
        return None  # the loop check reports a half address
    n3, n4 = street.segment, place.segment
    return PostalAddress(
        line1=n3.element(1), line2=n3.element(2) or None, city=n4.element(1), state=n4.element(2), zip=n4.element(3)
    )


def _name(nm1: Segment) -> str:
    return " ".join(part for part in (nm1.element(4), nm1.element(3)) if part) or "(no name)"


def _party(
    loop: Loop, role: str, notes: _Notes, *, taxonomy_qualifier: str | None = None, required: bool = True
) -> ClaimParty | None:
    """A provider from an NM1 loop (2010AA, 2310A/B/D): name, NPI, and what else the loop gives."""
    read = loop.start
    nm1 = read.segment
    npi = nm1.element(9) if nm1.element(8) == NPI_QUALIFIER else ""  # NM108 id code qualifier, NM109 the id
    if not nm1.element(3):
        notes.add(X12ElementError(read.number, "NM1", f"NM103 the {role}'s last or organization name is empty"))
    if not npi:
        detail = f"the {role} {_name(nm1)} has no NPI (NM108 XX with NM109), and a Claim names every provider by NPI"
        if required:
            notes.block(read, loop, detail)
        else:
            notes.add(X12MappingError(read.number, "NM1", f"{detail}; left out"))
        return None
    person = nm1.element(2) == "1"  # NM102 entity type: 1 person, 2 organization
    taxonomy = None
    if taxonomy_qualifier is not None:
        taxonomy_host = loop.parent if loop.id == "2010AA" and loop.parent is not None else loop
        prv = taxonomy_host.first("PRV", taxonomy_qualifier)  # PRV01 BI billing / PE performing
        if prv is not None and prv.segment.element(2) == TAXONOMY_QUALIFIER:
            taxonomy = prv.segment.element(3)
    tax = loop.first("REF", "EI") or loop.first("REF", "SY")  # employer id number, or social security number
    return ClaimParty(
        last_name_or_organization=nm1.element(3),
        npi=npi,
        first_name=(nm1.element(4) or None) if person else None,
        tax_id=tax.segment.element(2) if tax is not None else None,
        address=_address(loop),
        taxonomy=taxonomy,
    )


def _person(loop: Loop, role: str, notes: _Notes, why_dmg: str = "") -> Person | None:
    """The subscriber (2010BA) or patient (2010CA): name and, from DMG, birth date and sex."""
    read = loop.start
    nm1 = read.segment
    dmg = loop.first("DMG")
    if dmg is None:
        notes.block(
            read,
            loop,
            f"the {role} {_name(nm1)} has no DMG{why_dmg}, and a Claim needs the {role}'s birth date and sex",
        )
        return None
    if dmg.segment.element(1) != "D8":
        notes.add(X12ElementError(dmg.number, "DMG", f"DMG01 {dmg.segment.element(1)!r} must be D8 (CCYYMMDD)"))
    born = _date(dmg.segment.element(2), dmg, "DMG02 birth date", notes)
    sex = dmg.segment.element(3)
    if sex not in ("F", "M", "U"):
        notes.add(X12ElementError(dmg.number, "DMG", f"DMG03 sex {sex!r} must be F, M or U"))
    if born is None:
        notes.block(dmg, loop, f"the {role}'s birth date cannot be read")
        return None
    return Person(first_name=nm1.element(4), last_name=nm1.element(3), birth_date=born, sex=sex, address=_address(loop))


def _diagnoses(claim_loop: Loop, notes: _Notes) -> tuple[tuple[str, ...], str]:
    """HI01-HI12 codes, principal first, without qualifiers or dots; and the code set their qualifiers name."""
    hi = next(
        (
            r
            for r in claim_loop.all("HI")
            if r.segment.component(1, 1) in DIAGNOSIS_QUALIFIERS or r.segment.element(1) in DIAGNOSIS_QUALIFIERS
        ),
        None,
    )
    if hi is None:
        return (), ""  # the loop check reports a 2300 without HI
    elements = hi.segment.elements
    pairs: list[tuple[int, str, str]] = []
    index = 0
    while index < len(elements):
        value = elements[index]
        label = f"HI{index + 1:02d}"
        if isinstance(value, tuple):
            pairs.append((index + 1, value[0], value[1] if len(value) > 1 else ""))
        elif (
            value in DIAGNOSIS_QUALIFIERS
            and index + 1 < len(elements)
            and isinstance(elements[index + 1], str)
            and elements[index + 1] not in DIAGNOSIS_QUALIFIERS
            and elements[index + 1]
        ):
            code = str(elements[index + 1])
            notes.add(
                X12ElementError(
                    hi.number,
                    "HI",
                    f"{label} is {value!r} alone and {index + 2:02d} is {code!r}: a qualifier and its "
                    f"code are one composite ('{value}:{code}'); read them as one",
                )
            )
            pairs.append((index + 1, value, code))
            index += 1
        elif value:
            notes.add(X12ElementError(hi.number, "HI", f"{label} {value!r} has no qualifier; left out"))
        index += 1
    codes: list[str] = []
    code_sets: set[str] = set()
    for position, qualifier, code in pairs:
        expected = PRINCIPAL_DIAGNOSIS if not codes else OTHER_DIAGNOSIS
        if qualifier not in expected:
            notes.add(
                X12ElementError(
                    hi.number, "HI", f"HI{position:02d} qualifier {qualifier!r} should be one of {', '.join(expected)}"
                )
            )
        code_sets.add(DIAGNOSIS_QUALIFIERS.get(qualifier, ""))
        if not code:
            notes.add(X12ElementError(hi.number, "HI", f"HI{position:02d} has a qualifier but no code"))
            continue
        if "." in code:
            notes.add(
                X12ElementError(
                    hi.number,
                    "HI",
                    f"HI{position:02d} {code!r} holds a decimal point; X12 sends diagnosis codes without it",
                )
            )
        codes.append(code.replace(".", ""))
    if len(codes) > MAX_DIAGNOSES:
        notes.add(X12ElementError(hi.number, "HI", f"{len(codes)} diagnoses; an 837P claim holds at most 12"))
    code_sets.discard("")
    return tuple(codes), " + ".join(sorted(code_sets))


def _pointers(sv1: ReadSegment, diagnosis_count: int, notes: _Notes) -> tuple[int, ...]:
    value = sv1.segment.elements[6] if len(sv1.segment.elements) >= 7 else ""
    parts = (value,) if isinstance(value, str) else value
    pointers: list[int] = []
    for part in parts:
        if not part:
            continue
        pointer = bounded_int(part, 2)
        if pointer is None or not 1 <= pointer <= MAX_DIAGNOSES:
            notes.add(X12ElementError(sv1.number, "SV1", f"SV107 diagnosis pointer {clip(part)!r} must be 1 to 12"))
            continue
        if pointer > diagnosis_count:
            notes.add(
                X12ElementError(sv1.number, "SV1", f"SV107 points to diagnosis {part}, but HI holds {diagnosis_count}")
            )
        pointers.append(pointer)
    if not pointers:
        notes.add(X12ElementError(sv1.number, "SV1", "SV107 points to no diagnosis (SV107-1 is required)"))
    return tuple(pointers)


def _service_date(line_loop: Loop, notes: _Notes) -> date | None:
    dtp = line_loop.first("DTP", SERVICE_DATE)
    if dtp is None:
        return None
    form, text = dtp.segment.element(2), dtp.segment.element(3)  # DTP02 format qualifier, DTP03 the date
    if form == "D8":
        return _date(text, dtp, "DTP03 service date", notes)
    if form == "RD8":
        first, _, last = text.partition("-")
        start = _date(first, dtp, "DTP03 service period start", notes)
        end = _date(last, dtp, "DTP03 service period end", notes)
        if start is not None and end is not None and end != start:
            notes.add(
                X12MappingError(
                    dtp.number,
                    "DTP",
                    f"service period {start}..{end} (RD8): a ServiceLine holds one date, kept {start}",
                )
            )
        return start
    notes.add(X12ElementError(dtp.number, "DTP", f"DTP02 {form!r} must be D8 (a date) or RD8 (a period)"))
    return None


def _line(line_loop: Loop, claim_place: str, diagnosis_count: int, notes: _Notes) -> ServiceLine | None:
    """One 2400 service line (LX, SV1, DTP*472); None, with the reason noted, when it cannot be built."""
    lx = line_loop.start
    number_text = lx.segment.element(1)
    line_number = bounded_int(number_text, MAX_LINE_NUMBER_DIGITS)
    if line_number is None:
        detail = f"LX01 line number {clip(number_text)!r} is not a number of 1 to {MAX_LINE_NUMBER_DIGITS} digits"
        notes.add(X12ElementError(lx.number, "LX", detail))
        line_number = 0
    sv1 = line_loop.first("SV1")
    if sv1 is None:
        notes.block(lx, line_loop, f"service line {clip(number_text)} has no SV1 (professional service)")
        return None
    segment = sv1.segment
    procedure = segment.elements[0] if segment.elements else ""  # SV101 composite medical procedure identifier
    parts = (procedure,) if isinstance(procedure, str) else procedure
    qualifier = parts[0]  # SV101-1 product/service id qualifier
    code = parts[1] if len(parts) > 1 else ""  # SV101-2
    if qualifier != "HC":
        notes.add(X12ElementError(sv1.number, "SV1", f"SV101-1 is {qualifier!r}; an 837P line is coded HC (CPT/HCPCS)"))
    if code and not PROCEDURE_CODE.fullmatch(code):
        notes.add(X12ElementError(sv1.number, "SV1", f"SV101-2 {code!r} is not a 5-character CPT/HCPCS code"))
    modifiers = tuple(m for m in parts[2:6] if m)  # SV101-3 .. SV101-6
    description = (parts[6] if len(parts) > 6 else "") or None  # SV101-7
    charge = _amount(segment.element(2), sv1, "SV102 line charge", notes) if segment.element(2) else None
    basis, quantity = segment.element(3), segment.element(4)  # SV103 unit basis, SV104 quantity
    if basis == "MJ":
        notes.add(
            X12MappingError(
                sv1.number,
                "SV1",
                f"SV103 is MJ (minutes): units holds the {clip(quantity)} minutes as sent, not service units",
            )
        )
    elif basis != "UN":
        notes.add(X12ElementError(sv1.number, "SV1", f"SV103 unit basis {basis!r} must be UN (units) or MJ (minutes)"))
    units = _amount(quantity, sv1, "SV104 quantity", notes) if quantity else None
    whole_units = int(units) if units is not None and units == units.to_integral_value() else None
    if units is not None and whole_units is None:
        notes.block(sv1, line_loop, f"SV104 quantity {clip(quantity)} is not a whole number, and ServiceLine.units is")
    pointers = _pointers(sv1, diagnosis_count, notes)
    served = _service_date(line_loop, notes)
    missing = [
        what
        for what, absent in (
            ("SV101-2 procedure code", not code),
            ("SV102 charge", charge is None),
            ("SV104 units", units is None),
            ("DTP*472 service date", served is None),
        )
        if absent
    ]
    if missing:
        notes.block(sv1, line_loop, f"service line {number_text} has no usable {', '.join(missing)}")
    if missing or whole_units is None or charge is None or served is None:
        return None
    return ServiceLine(
        line_number=line_number,
        code=code,
        modifiers=modifiers,
        units=whole_units,
        charge=charge,
        diagnosis_pointers=pointers,
        service_date=served,
        place_of_service=segment.element(5) or claim_place,  # SV105 only when it differs from CLM05-1
        description=description,
    )


@dataclass
class _Cached:
    value: object
    problems: list[X12Error]
    blocking: bool


class _ClaimMapper:
    """Maps each 2300 loop of one transaction; parties shared by many claims are read once."""

    def __init__(self, root: Loop, envelope: EnvelopeIds) -> None:
        self.root = root
        self.envelope = envelope
        self.cache: dict[tuple[int, str], _Cached] = {}
        self.notes = _Notes()  # problems of the transaction as a whole, found while mapping
        bht = root.first("BHT")
        self.created: date | None = None
        if bht is not None and bht.segment.element(4):
            self.created = _date(bht.segment.element(4), bht, "BHT04 creation date", self.notes)

    def _shared(self, loop: Loop, key: str, notes: _Notes, build: Callable[[_Notes], T]) -> T:
        """Build once per loop; every claim using it carries the same problems (deduplicated by identity)."""
        cache_key = (id(loop), key)
        cached = self.cache.get(cache_key)
        if cached is None:
            scratch = _Notes()
            cached = _Cached(build(scratch), scratch.problems, scratch.blocking)
            self.cache[cache_key] = cached
        notes.problems.extend(cached.problems)
        notes.blocking = notes.blocking or cached.blocking
        return cast(T, cached.value)

    def billing_provider(self, claim_loop: Loop, notes: _Notes) -> ClaimParty | None:
        provider_hl = claim_loop.ancestor("2000A")
        name_loop = provider_hl.child("2010AA") if provider_hl is not None else None
        if provider_hl is None or name_loop is None:
            notes.block(
                None,
                claim_loop,
                "no billing provider: the claim's 2000A has no 2010AA (NM1*85)"
                if provider_hl is not None
                else "no billing provider: the claim is under no 2000A HL",
            )
            return None
        return self._shared(
            name_loop, "billing", notes, lambda n: _party(name_loop, "billing provider", n, taxonomy_qualifier="BI")
        )

    def map(self, claim_loop: Loop) -> ParsedClaim:
        notes = _Notes()
        clm = claim_loop.start
        segment = clm.segment
        claim_id = segment.element(1)
        if not claim_id:
            notes.add(X12ElementError(clm.number, "CLM", "CLM01 patient control number is empty"))

        billing = self.billing_provider(claim_loop, notes)
        subscriber_hl, patient_hl = self._hls(claim_loop)
        subscriber, member_id, payer, group_number, relationship, patient = self._coverage(
            claim_loop, subscriber_hl, patient_hl, notes
        )

        place = segment.component(5, 1)  # CLM05-1 place of service
        frequency_code = segment.component(5, 3)  # CLM05-3 claim frequency type
        if not place:
            notes.block(clm, claim_loop, "CLM05-1 place of service is empty")
        frequency: ClaimFrequency | None = None
        try:
            frequency = ClaimFrequency(frequency_code)
        except ValueError:
            notes.block(
                clm,
                claim_loop,
                f"CLM05-3 frequency {frequency_code!r} is not one a Claim holds (1 original, 7 replacement, 8 void)",
            )
        original = claim_loop.first("REF", "F8")  # payer claim control number
        prior_auth = claim_loop.first("REF", "G1")
        record = claim_loop.first("REF", "EA")  # medical record number
        if frequency in (ClaimFrequency.REPLACEMENT, ClaimFrequency.VOID) and original is None:
            notes.add(
                X12ElementError(
                    clm.number,
                    "CLM",
                    f"CLM05-3 is {frequency_code} but there is no REF*F8 with the payer's original claim number",
                )
            )

        diagnoses, code_set = _diagnoses(claim_loop, notes)
        rendering = billing
        rendering_loop = claim_loop.child("2310B")
        if rendering_loop is not None:
            rendering = _party(rendering_loop, "rendering provider", notes, taxonomy_qualifier="PE")
        referring_loop = claim_loop.child("2310A", "DN")  # P3 (primary care provider) is not kept
        referring = _party(referring_loop, "referring provider", notes, required=False) if referring_loop else None
        supervising_loop = claim_loop.child("2310D")
        supervising = (
            _party(supervising_loop, "supervising provider", notes, required=False) if supervising_loop else None
        )

        lines: list[ServiceLine] = []
        line_loops = claim_loop.children_with("2400")
        for line_loop in line_loops:
            line = _line(line_loop, place, len(diagnoses), notes)
            if line is not None:
                lines.append(line)
            rendered_by = line_loop.child("2420A")
            if rendered_by is not None:
                notes.add(
                    X12MappingError(
                        rendered_by.start.number,
                        "NM1",
                        f"line {line_loop.start.segment.element(1)} has its own "
                        "rendering provider (2420A); a ServiceLine does not keep one",
                    )
                )
        if not line_loops:
            notes.block(clm, claim_loop, "the claim has no service line (2400)")
        self._check_total(clm, lines, len(lines) == len(line_loops), notes)

        claim: Claim | None = None
        complete = (
            billing is not None
            and rendering is not None
            and subscriber is not None
            and patient is not None
            and payer is not None
            and frequency is not None
            and bool(lines)
        )
        if not notes.blocking and not complete:
            notes.block(clm, claim_loop, "the claim is incomplete")  # each missing part was noted where it was read
        if (
            not notes.blocking
            and billing is not None
            and rendering is not None
            and subscriber is not None
            and patient is not None
            and payer is not None
            and frequency is not None
        ):
            claim = Claim(
                claim_id=claim_id,
                encounter_id=claim_id,  # the 837P carries no encounter id; ptbill writes it as CLM01 by default
                payer=payer,
                billing_provider=billing,
                rendering_provider=rendering,
                patient=patient,
                subscriber=subscriber,
                relationship=relationship,
                member_id=member_id,
                group_number=group_number,
                diagnoses=diagnoses,
                lines=tuple(lines),
                place_of_service=place,
                service_date=min(line.service_date for line in lines),
                referring_provider=referring,
                supervising_provider=supervising,
                prior_authorization=prior_auth.segment.element(2) if prior_auth else None,
                frequency=frequency,
                original_claim_number=original.segment.element(2) if original else None,
                patient_account=record.segment.element(2) if record else None,
                created=self.created,
                notes=tuple(r.segment.element(2) for r in claim_loop.all("NTE")),
            )
        problems = _subtree_problems(claim_loop) + notes.problems
        problems.sort(key=lambda p: p.segment_number or 0)
        return ParsedClaim(
            claim_id=claim_id,
            segment_number=clm.number,
            envelope=self.envelope,
            claim=claim,
            lines=tuple(lines),
            diagnoses=diagnoses,
            diagnosis_code_set=code_set,
            problems=tuple(problems),
            loop=claim_loop,
        )

    @staticmethod
    def _hls(claim_loop: Loop) -> tuple[Loop | None, Loop | None]:
        parent = claim_loop.parent
        if parent is not None and parent.id == "2000C":
            return claim_loop.ancestor("2000B"), parent
        if parent is not None and parent.id == "2000B":
            return parent, None
        return claim_loop.ancestor("2000B"), None

    def _coverage(
        self, claim_loop: Loop, subscriber_hl: Loop | None, patient_hl: Loop | None, notes: _Notes
    ) -> tuple[Person | None, str, ClaimPayer | None, str | None, str, Person | None]:
        """Subscriber, member id, payer, group number, relationship and patient (2000B/2010BA/2010BB/2000C)."""
        if subscriber_hl is None:
            notes.block(None, claim_loop, "no subscriber: the claim is under no subscriber HL (2000B)")
            return None, "", None, None, "self", None
        sbr = subscriber_hl.first("SBR")
        sbr_segment = sbr.segment if sbr is not None else Segment("SBR", ())
        group_number = sbr_segment.element(3) or None  # SBR03 group or policy number
        subscriber_loop = subscriber_hl.child("2010BA")
        subscriber: Person | None = None
        member_id = ""
        if subscriber_loop is None:
            notes.block(None, subscriber_hl, "no subscriber: the 2000B has no 2010BA (NM1*IL)")
        else:
            nm1 = subscriber_loop.start
            member_id = nm1.segment.element(9)  # NM109 member id (NM108 MI)
            if not member_id:
                notes.block(nm1, subscriber_loop, "the subscriber has no member id (NM109)")
            why = " (the TR3 sends it only when the subscriber is the patient)" if patient_hl else ""
            subscriber = self._shared(
                subscriber_loop, "subscriber", notes, lambda n: _person(subscriber_loop, "subscriber", n, why)
            )
        payer = self._payer(subscriber_hl, sbr_segment, notes)
        if patient_hl is None:
            if sbr is not None and sbr_segment.element(2) != SELF:
                notes.add(
                    X12ElementError(
                        sbr.number,
                        "SBR",
                        f"SBR02 is {sbr_segment.element(2)!r} but there is no patient HL (2000C): "
                        "when the subscriber is the patient SBR02 is 18",
                    )
                )
            return subscriber, member_id, payer, group_number, "self", subscriber
        pat = patient_hl.first("PAT")
        relationship = PATIENT_RELATIONSHIP.get(pat.segment.element(1), "other") if pat is not None else "other"
        patient_loop = patient_hl.child("2010CA")
        patient: Person | None = None
        if patient_loop is None:
            notes.block(None, patient_hl, "no patient: the 2000C has no 2010CA (NM1*QC)")
        else:
            patient = self._shared(patient_loop, "patient", notes, lambda n: _person(patient_loop, "patient", n))
        return subscriber, member_id, payer, group_number, relationship, patient

    def _payer(self, subscriber_hl: Loop, sbr: Segment, notes: _Notes) -> ClaimPayer | None:
        payer_loop = subscriber_hl.child("2010BB")
        if payer_loop is None:
            notes.block(None, subscriber_hl, "no payer: the 2000B has no 2010BB (NM1*PR)")
            return None
        nm1 = payer_loop.start
        identifier = nm1.segment.element(9)  # NM109 payer id (NM108 PI, or XV for a CMS plan id)
        if not identifier:
            notes.block(nm1, payer_loop, "the payer has no id (NM109)")
            return None
        return ClaimPayer(
            id=identifier,  # the 837P carries no ptbill payer id; the clearinghouse's payer id stands in
            name=nm1.segment.element(3),
            payer_identifier=identifier,
            filing_indicator=_filing_indicator(sbr, nm1, notes),
            address=_address(payer_loop),
        )

    @staticmethod
    def _check_total(clm: ReadSegment, lines: list[ServiceLine], complete: bool, notes: _Notes) -> None:
        text = clm.segment.element(2)  # CLM02 total claim charge
        total = _amount(text, clm, "CLM02 total charge", notes) if text else None
        if not text:
            notes.add(X12ElementError(clm.number, "CLM", "CLM02 total charge is empty"))
        if total is not None and complete and lines:
            lines_total = sum((line.charge for line in lines), Decimal("0"))
            if total != lines_total:
                notes.add(
                    X12ElementError(
                        clm.number,
                        "CLM",
                        f"CLM02 total charge {text} differs from the lines' SV102 total {lines_total}",
                    )
                )


# --- reading a file --------------------------------------------------------------------------------------


def _transaction_problems(transaction: Transaction, root: Loop) -> list[X12Error]:
    found = list(transaction.problems)
    stack = [root]
    while stack:
        loop = stack.pop()
        if loop.id == "2300":
            continue  # a claim's own problems travel with the claim
        found.extend(loop.problems)
        stack.extend(loop.children)
    found.sort(key=lambda p: p.segment_number or 0)
    return found


def _check_guide(transaction: Transaction) -> X12Error | None:
    header = transaction.header
    if transaction.transaction_set_id != "837":
        return X12EnvelopeError(
            header.number, "ST", f"ST01 is {transaction.transaction_set_id!r}; this reader reads 837 claims"
        )
    guide = transaction.implementation
    if not guide.startswith(GUIDE_FAMILY):
        return X12EnvelopeError(header.number, "ST", f"the implementation guide is {guide!r}, not the 837P {GUIDE}")
    return None


def read_transaction(transaction: Transaction) -> ClaimTransaction:
    """The loop tree and claims of one ST..SE already read by the envelope reader."""
    envelope = transaction.ids
    wrong_guide = _check_guide(transaction)
    if wrong_guide is not None:
        root = Loop(SPECS[TRANSACTION_LOOP], list(transaction.segments))
        return ClaimTransaction(envelope, transaction, root, (), (*transaction.problems, wrong_guide))
    builder = _TreeBuilder(transaction)
    root = builder.root
    problems = _transaction_problems(transaction, root)
    if transaction.implementation != GUIDE:
        problems.insert(
            0,
            X12EnvelopeError(
                transaction.header.number,
                "ST",
                f"the implementation guide is {transaction.implementation!r}; HIPAA "
                f"names {GUIDE}, which is how it was read",
            ),
        )
    mapper = _ClaimMapper(root, envelope)
    claims = tuple(mapper.map(loop) for loop in builder.claims)
    problems.extend(mapper.notes.problems)
    problems.sort(key=lambda p: p.segment_number or 0)
    return ClaimTransaction(envelope, transaction, root, claims, tuple(problems))


def read_837p(source: Source, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[ClaimTransaction]:
    """Each 837P transaction set of ``source`` with its claims mapped, one ST..SE in memory at a time.

    Raises only :class:`~ptbill.x12.errors.X12SyntaxError` (the file cannot be read as X12); any
    other problem is in the results. Interchange and group problems found at GE/IEA are on
    ``transaction.envelope_problems`` once the file has been read to the end.
    """
    for transaction in EnvelopeReader(source, chunk_size=chunk_size):
        yield read_transaction(transaction)


def read_claims(source: Source, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[ParsedClaim]:
    """Every claim of every 837P transaction set in ``source``, in file order."""
    for transaction in read_837p(source, chunk_size=chunk_size):
        yield from transaction.claims
