"""The loops of the X12 837P 005010X222A1 and the tree one transaction set's segments form.

``SPECS`` declares each loop the TR3 defines (its id, name, first segment, segments in order, how often it
repeats); ``build_hierarchy`` nests one transaction's segments into those loops, noting on each loop what
is missing, repeated too often, misplaced or out of order. ``reader`` maps the tree onto ``Claim``.
Source: the X222A1 TR3 loops (1000A/B; 2000A/2010AA-AC; 2000B/2010BA-BB; 2000C/2010CA; 2300/2310A-F,
2320/2330A-G; 2400/2410, 2420A-H, 2430, 2440).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ptbill.x12.envelope import SEGMENT_ID, Transaction
from ptbill.x12.errors import (
    X12ElementError,
    X12Error,
    X12LoopError,
    X12SegmentError,
)
from ptbill.x12.reader import ReadSegment
from ptbill.x12.syntax import Segment

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


def subtree_problems(top: Loop) -> list[X12Error]:
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


class TreeBuilder:
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
    return TreeBuilder(transaction).root
