"""The figures a clinic acts on, read from one member's 271 answer: coverage status and plan dates, the
physical therapy deductible, out-of-pocket, coinsurance and copay, visits, prior authorization, the therapy
amount applied toward Medicare's KX threshold, and the 271's own reasons in words (EB01, AAA, MSG).

Where the 271 states a figure more than once (per service type, network, coverage level), the one for
physical therapy (PT, then AE physical medicine, then 30 the health benefit plan) in network (EB12 Y, or not
said) for the individual (IND, or not said) is taken. EB06 29 is what remains, another period the plan's
total; EB08 is a fraction (0.2 = 20 %). EB06 24 (year to date) is the therapy amount applied, not a copay.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from ptbill.domain.eligibility import (
    INACTIVE_CODES,
    YEAR_TO_DATE,
    Benefit,
    EligibilityResponse,
    MemberEligibility,
    Rejection,
)

REMAINING = "29"
QUANTITY_USED = "99"
SERVICE_ORDER = ("PT", "AE", "30")
PLAN_BEGIN, PLAN_END = "346", "347"
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Figures:
    status: str  # active, inactive, unknown
    plan_begin: date | None
    plan_end: date | None
    deductible_remaining: Decimal | None
    deductible_total: Decimal | None
    out_of_pocket_remaining: Decimal | None
    out_of_pocket_total: Decimal | None
    coinsurance_percent: Decimal | None  # 20 for 20 %
    copay: Decimal | None
    visits_limit: int | None
    visits_used: int | None
    visits_remaining: int | None
    prior_auth_required: bool | None
    therapy_applied: Decimal | None
    reasons: str  # '' when the 271 gives none


def _rank(benefit: Benefit) -> tuple[int, int, int]:
    codes = [s.code for s in benefit.service_types]
    service = min((SERVICE_ORDER.index(c) for c in codes if c in SERVICE_ORDER), default=len(SERVICE_ORDER))
    network = 1 if benefit.in_network is False else 0
    level = benefit.coverage_level.code if benefit.coverage_level else "IND"
    return service, network, 0 if level == "IND" else 1


def _best(benefits: Iterable[Benefit]) -> Benefit | None:
    return min(benefits, key=_rank, default=None)


def _period(benefit: Benefit) -> str | None:
    return benefit.period.code if benefit.period else None


def _amounts(member: MemberEligibility, kind: str) -> tuple[Decimal | None, Decimal | None]:
    """(remaining, total) of the deductible (C) or out-of-pocket (G)."""
    stated = [b for b in member.of_kind(kind) if b.amount is not None]
    remaining = _best(b for b in stated if _period(b) == REMAINING)
    total = _best(b for b in stated if _period(b) not in (REMAINING, YEAR_TO_DATE))
    return (remaining.amount if remaining else None, total.amount if total else None)


def _whole(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


def _visits(member: MemberEligibility) -> tuple[int | None, int | None, int | None]:
    """(limit, used, remaining) of the therapy visits the 271 states."""
    limits = [b for b in member.visit_limits if b.covers(*SERVICE_ORDER) or not b.service_types]
    remaining = _best(b for b in limits if _period(b) == REMAINING)
    limit = _best(b for b in limits if _period(b) != REMAINING)
    used = _best(
        b
        for b in member.benefits
        if b.quantity_kind is not None and b.quantity_kind.code == QUANTITY_USED and b.quantity is not None
    )
    values = (
        _whole(limit.visits if limit else None),
        _whole(used.quantity if used else None),
        _whole(remaining.visits if remaining else None),
    )
    if values[2] is None and values[0] is not None and values[1] is not None:
        return values[0], values[1], max(values[0] - values[1], 0)
    return values


def _rejection_text(rejection: Rejection) -> str:
    follow = f"; next: {rejection.follow_up}" if rejection.follow_up else ""
    return f"AAA {rejection.reason} ({rejection.where}){follow}"


def reasons_of(member: MemberEligibility | None, response: EligibilityResponse) -> str:
    """The 271's own words for an answer that is not a plain 'active': inactive EB01s with their messages,
    every AAA rejection (payer, provider, member, benefit)."""
    parts: list[str] = [_rejection_text(r) for r in response.rejections]
    if member is not None:
        parts += [_rejection_text(r) for r in member.rejections]
        for benefit in member.benefits:
            if benefit.info.code in INACTIVE_CODES:
                said = f"EB01 {benefit.info}"
                parts.append(said + (f": {' '.join(benefit.messages)}" if benefit.messages else ""))
            parts += [_rejection_text(r) for r in benefit.rejections]
    return "; ".join(dict.fromkeys(parts))[:1000]


def figures_of(member: MemberEligibility, response: EligibilityResponse) -> Figures:
    begin, end = member.date(PLAN_BEGIN), member.date(PLAN_END)
    plan_begin = begin.start if begin else None
    plan_end = end.start if end else (begin.end if begin and begin.end != begin.start else None)
    coinsurance = _best(b for b in member.of_kind("A") if b.percent is not None)
    copay = _best(b for b in member.of_kind("B") if b.amount is not None and _period(b) != YEAR_TO_DATE)
    applied = member.therapy_amount_applied
    deductible, deductible_total = _amounts(member, "C")
    out_of_pocket, out_of_pocket_total = _amounts(member, "G")
    limit, used, remaining = _visits(member)
    return Figures(
        status=member.coverage.value,
        plan_begin=plan_begin,
        plan_end=plan_end,
        deductible_remaining=deductible,
        deductible_total=deductible_total,
        out_of_pocket_remaining=out_of_pocket,
        out_of_pocket_total=out_of_pocket_total,
        coinsurance_percent=(coinsurance.percent * 100).quantize(CENT)
        if coinsurance and coinsurance.percent is not None
        else None,
        copay=copay.amount if copay else None,
        visits_limit=limit,
        visits_used=used,
        visits_remaining=remaining,
        prior_auth_required=member.prior_authorization_required,
        therapy_applied=applied.amount if applied else None,
        reasons=reasons_of(member, response),
    )


def plain(value: Any) -> Any:
    """A parsed answer as JSON: amounts and dates as strings, dataclasses as objects."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value
