"""Reads 271 eligibility answers and 270 inquiries (005010X279A1) into ``ptbill.domain.eligibility``.

HL levels: 20 the payer, 21 the provider, 22 the subscriber, 23 a dependent. A benefit is an EB and the
HSD, DTP, MSG, AAA and LS..LE (loop 2120) after it; a DTP or AAA before the first EB belongs to the
member. Repeating elements (EB03, EQ01) are split at ISA11. Problems name segment and element.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from ptbill.domain.coded import Party
from ptbill.domain.eligibility import (
    Benefit,
    Dated,
    Delivery,
    EligibilityInquiry,
    EligibilityRequest,
    EligibilityResponse,
    MemberEligibility,
    Rejection,
)
from ptbill.eligibility.x12_270_271 import GUIDES
from ptbill.eligibility.x12_270_271.codes import (
    BENEFIT_INFO,
    COVERAGE_LEVELS,
    DATES,
    FOLLOW_UPS,
    QUANTITIES,
    REJECT_REASONS,
    SERVICE_TYPES,
    TIME_PERIODS,
    coded,
    optional,
)
from ptbill.eligibility.x12_270_271.segments import (
    AAA01,
    AAA03,
    AAA04,
    DMG03,
    EB01,
    EB02,
    EB03,
    EB04,
    EB05,
    EB06,
    EB07,
    EB08,
    EB09,
    EB10,
    EB11,
    EB12,
    EB13,
    EQ01,
    HSD01,
    HSD02,
    HSD05,
    HSD06,
    MSG01,
)
from ptbill.x12.elements import ElementRef
from ptbill.x12.hierarchy import (
    BHT03,
    BHT04,
    DMG02,
    DTP01,
    DTP02,
    DTP03,
    HL03,
    NM103,
    NM104,
    NM108,
    NM109,
    TRN02,
)
from ptbill.x12.reader import ReadSegment, Source
from ptbill.x12.transactions import TransactionView, read_transactions

_WHERE = {"20": "payer", "21": "provider", "22": "subscriber", "23": "dependent"}


@dataclass(slots=True)
class _Member:
    party: Party
    is_dependent: bool
    subscriber: Party | None
    number: int
    birth: date | None = None
    gender: str | None = None
    trace: str | None = None
    dates: list[Dated] = field(default_factory=list)
    benefits: list[Benefit] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    service_types: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Benefit:
    base: Benefit
    delivery: list[Delivery] = field(default_factory=list)
    dates: list[Dated] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    related: list[Party] = field(default_factory=list)

    def freeze(self) -> Benefit:
        b = self.base
        return Benefit(
            b.info, b.coverage_level, b.service_types, b.insurance_type, b.plan, b.period, b.amount, b.percent,
            b.quantity_kind, b.quantity, b.authorization_required, b.in_network, b.procedure,
            tuple(self.delivery), tuple(self.dates), tuple(self.messages), tuple(self.rejections), tuple(self.related),
        )  # fmt: skip


@dataclass(slots=True)
class _State:
    level: str = ""
    header: tuple[str | None, date | None] = (None, None)
    payer: Party | None = None
    provider: Party | None = None
    subscriber: Party | None = None
    member: _Member | None = None
    benefit: _Benefit | None = None
    in_2120: bool = False
    rejections: list[Rejection] = field(default_factory=list)
    members: list[_Member] = field(default_factory=list)


def _yes_no(view: TransactionView, read: ReadSegment, element: ElementRef) -> bool | None:
    value = view.text(read, element)
    if value in ("Y", "N"):
        return value == "Y"
    if value not in ("", "U", "W"):
        view.element_problem(read, f"{element} {value!r} is not Y, N, U or W")
    return None


def _party(view: TransactionView, read: ReadSegment) -> Party:
    return Party(
        view.text(read, NM103), view.optional(read, NM109), view.optional(read, NM108), view.optional(read, NM104)
    )


def _eb(view: TransactionView, read: ReadSegment) -> Benefit:
    return Benefit(
        coded(BENEFIT_INFO, view.required(read, EB01)),
        optional(COVERAGE_LEVELS, view.optional(read, EB02)),
        tuple(coded(SERVICE_TYPES, s) for s in view.repeats(read, EB03)),
        view.optional(read, EB04),
        view.optional(read, EB05),
        optional(TIME_PERIODS, view.optional(read, EB06)),
        view.amount(read, EB07),
        view.amount(read, EB08),
        optional(QUANTITIES, view.optional(read, EB09)),
        view.amount(read, EB10),
        _yes_no(view, read, EB11),
        _yes_no(view, read, EB12),
        ":".join(p for p in (view.component(read, EB13, i) for i in range(1, 7)) if p) or None,
    )


def _close_member(state: _State) -> None:
    if state.benefit is not None and state.member is not None:
        state.member.benefits.append(state.benefit.freeze())
    state.benefit = None
    if state.member is not None:
        state.members.append(state.member)
    state.member = None


def _dated(view: TransactionView, read: ReadSegment) -> Dated | None:
    first, last = view.period(read, DTP02, DTP03)
    if first is None or last is None:
        return None
    return Dated(coded(DATES, view.required(read, DTP01)), first, last)


def _segment(view: TransactionView, state: _State, read: ReadSegment) -> None:
    sid, member, benefit = read.id, state.member, state.benefit
    if sid == "BHT":
        state.header = (view.optional(read, BHT03), view.day(read, BHT04))
    elif sid == "HL":
        _close_member(state)
        state.level = view.required(read, HL03)
        state.in_2120 = False
    elif sid in ("LS", "LE"):
        state.in_2120 = sid == "LS"
    elif sid == "NM1":
        party = _party(view, read)
        if state.in_2120 and benefit is not None:
            benefit.related.append(party)
        elif state.level == "20":
            state.payer = party
        elif state.level == "21":
            state.provider = party
        elif state.level in ("22", "23") and member is None:
            dependent = state.level == "23"
            if not dependent:
                state.subscriber = party
            state.member = _Member(party, dependent, state.subscriber if dependent else None, read.number)
    elif sid == "DMG" and member is not None:
        member.birth, member.gender = view.day(read, DMG02), view.optional(read, DMG03)
    elif sid == "DTP":
        dated = _dated(view, read)
        if dated is not None and benefit is not None:
            benefit.dates.append(dated)
        elif dated is not None and member is not None:
            member.dates.append(dated)
    elif sid == "AAA":
        where = "benefit" if benefit is not None else _WHERE.get(state.level, state.level)
        rejection = Rejection(
            where,
            _yes_no(view, read, AAA01),
            coded(REJECT_REASONS, view.required(read, AAA03)),
            optional(FOLLOW_UPS, view.optional(read, AAA04)),
        )
        target = benefit.rejections if benefit else member.rejections if member else state.rejections
        target.append(rejection)
    elif sid == "EB":
        if member is None:
            view.loop_problem(read, "EB outside a subscriber or dependent loop")
            return
        if benefit is not None:
            member.benefits.append(benefit.freeze())
        state.benefit = _Benefit(_eb(view, read))
        state.in_2120 = False
    elif sid == "HSD" and benefit is not None:
        benefit.delivery.append(
            Delivery(
                optional(QUANTITIES, view.optional(read, HSD01)),
                view.amount(read, HSD02),
                optional(TIME_PERIODS, view.optional(read, HSD05)),
                view.amount(read, HSD06),
            )
        )
    elif sid == "MSG" and benefit is not None:
        benefit.messages.append(view.text(read, MSG01))
    elif sid == "EQ" and member is not None:
        member.service_types.extend(view.repeats(read, EQ01))


def _walk(view: TransactionView) -> _State:
    state = _State()
    trace: str | None = None
    for read in view.body():
        if read.id == "TRN" and state.level in ("22", "23"):  # before the member's NM1 in loop 2000C/D
            trace = view.required(read, TRN02)
            if state.member is not None:
                state.member.trace = trace
            continue
        _segment(view, state, read)
        if read.id == "NM1" and state.member is not None and state.member.trace is None:
            state.member.trace = trace
        if read.id == "HL":
            trace = None
    _close_member(state)
    return state


def read_271(source: Source) -> Iterator[EligibilityResponse]:
    """Each 271 eligibility answer of ``source``."""
    transactions, outside = read_transactions(source)
    for transaction in transactions:
        view = TransactionView(transaction, outside)
        guide = transaction.implementation
        if not view.check_guide("271", GUIDES):
            yield EligibilityResponse(
                guide, transaction.control_number, None, None, None, None, (), (), view.messages()
            )
            continue
        state = _walk(view)
        members = tuple(
            MemberEligibility(
                m.party,
                m.is_dependent,
                m.subscriber,
                m.birth,
                m.gender,
                m.trace,
                tuple(m.dates),
                tuple(m.benefits),
                tuple(m.rejections),
            )
            for m in state.members
        )
        yield EligibilityResponse(
            guide,
            transaction.control_number,
            state.header[0],
            state.header[1],
            state.payer,
            state.provider,
            tuple(state.rejections),
            members,
            view.messages(),
        )


def _inquiry(view: TransactionView, member: _Member, subscriber_birth: date | None) -> EligibilityInquiry | None:
    plan = next((d for d in member.dates if d.kind.code == "291"), None)
    if plan is None:
        view.loop_problem(view.segments[0], f"the inquiry for member at segment {member.number} has no DTP*291")
        return None
    subscriber = member.subscriber if member.is_dependent and member.subscriber else member.party
    return EligibilityInquiry(
        subscriber,
        member.trace or "",
        plan.start,
        tuple(member.service_types),
        subscriber_birth if member.is_dependent else member.birth,
        member.party if member.is_dependent else None,
        member.birth if member.is_dependent else None,
    )


def read_270(source: Source) -> Iterator[EligibilityRequest]:
    """Each 270 eligibility inquiry of ``source``."""
    transactions, outside = read_transactions(source)
    for transaction in transactions:
        view = TransactionView(transaction, outside)
        if not view.check_guide("270", GUIDES):
            yield EligibilityRequest(transaction.control_number, None, None, None, None, (), view.messages())
            continue
        state = _walk(view)
        births = {id(m.party): m.birth for m in state.members if not m.is_dependent}
        inquiries = []
        for member in state.members:
            if not member.is_dependent and any(o.is_dependent and o.subscriber is member.party for o in state.members):
                continue  # a subscriber named only to reach a dependent
            birth = births.get(id(member.subscriber)) if member.subscriber is not None else None
            inquiry = _inquiry(view, member, birth)
            if inquiry is not None:
                inquiries.append(inquiry)
        yield EligibilityRequest(
            transaction.control_number,
            state.header[0],
            state.header[1],
            state.payer,
            state.provider,
            tuple(inquiries),
            view.messages(),
        )
