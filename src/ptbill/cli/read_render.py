"""`ptbill read` in words: who, which claim, what status, for a biller."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def _problems(problems: Any) -> Iterator[str]:
    for problem in problems:
        yield f"  problem: {problem}"


def _999(ack: Any) -> Iterator[str]:
    group = ack.group
    if group is None:
        yield f"999 {ack.control_number}: no functional group response"
    else:
        yield (
            f"999 from {ack.sender_id}: group {group.functional_id} {group.group_control_number} "
            f"{group.verdict.value} ({group.code}); {group.sets_accepted} of {group.sets_received} sets accepted"
        )
        for error in group.errors:
            yield f"  group error: {error}"
        for answer in group.transaction_sets:
            yield f"  {answer.transaction_set_id} {answer.control_number}: {answer.verdict.value}"
            for error in answer.errors:
                yield f"    error: {error}"
            for note in answer.segments:
                where = f"segment {note.segment_id} at position {note.position}"
                context = f" [{', '.join(note.context)}]" if note.context else ""
                yield f"    {where}: {note.error}{context}"
                for element in note.elements:
                    yield (
                        f"      element {note.segment_id}{element.position or 0:02d}"
                        f" (data element {element.reference_number}): {element.error}"
                    )
    yield from _problems(ack.problems)


def _status(status: Any) -> str:
    parts = [str(status.category)]
    if status.status is not None:
        parts.append(f"status {status.status}")
    if status.entity is not None:
        parts.append(f"about the {status.entity.meaning or status.entity.code}")
    if status.paid is not None:
        parts.append(f"paid {_money(status.paid)}")
    if status.check_or_eft:
        parts.append(f"check/EFT {status.check_or_eft}")
    return "; ".join(parts)


def _277(report: Any) -> Iterator[str]:
    name = "277CA claim acknowledgment" if report.is_acknowledgment else "277 claim status"
    yield f"{name} from {report.payer or 'unknown'} ({len(report.claims)} claims)"
    for claim in report.claims:
        dates = f" {claim.service_start} to {claim.service_end}" if claim.service_start else ""
        charge = next((s.charge for s in claim.statuses if s.charge is not None), None)
        head = f"  claim {claim.patient_control_number or claim.trace_number}: {claim.patient or ''}{dates}"
        if report.is_acknowledgment:
            head += f" - {claim.acknowledged.value.upper()}"
        yield f"{head}, charge {_money(charge)}"
        if claim.payer_claim_number:
            yield f"    payer claim number {claim.payer_claim_number}"
        for status in claim.statuses:
            yield f"    {_status(status)}"
    yield from _problems(report.problems)


def _276(request: Any) -> Iterator[str]:
    yield f"276 claim status inquiry to {request.payer} from {request.provider}"
    for claim in request.claims:
        yield (
            f"  claim {claim.patient_control_number}: {claim.patient or claim.subscriber}, "
            f"{claim.service_start} to {claim.service_end}, charge {_money(claim.charge)}"
        )
    yield from _problems(request.problems)


def _benefit(benefit: Any) -> str:
    parts = [benefit.info.meaning or benefit.info.code]
    if benefit.service_types:
        parts.append("for " + ", ".join(s.meaning or s.code for s in benefit.service_types))
    if benefit.coverage_level is not None:
        parts.append(benefit.coverage_level.meaning or benefit.coverage_level.code)
    if benefit.amount is not None:
        parts.append(_money(benefit.amount))
    if benefit.percent is not None:
        parts.append(f"{benefit.percent * 100:g}%")
    if benefit.period is not None:
        parts.append(f"per {benefit.period.meaning or benefit.period.code}")
    if benefit.visits is not None:
        parts.append(f"{benefit.visits} visits")
    if benefit.in_network is not None:
        parts.append("in network" if benefit.in_network else "out of network")
    if benefit.authorization_required is not None:
        parts.append("prior authorization required" if benefit.authorization_required else "no prior authorization")
    return ", ".join(parts)


def _rejection(rejection: Any) -> str:
    follow = f"; next: {rejection.follow_up.meaning}" if rejection.follow_up is not None else ""
    return f"  REJECTED at the {rejection.where}: {rejection.reason}{follow}"


def _271(response: Any) -> Iterator[str]:
    yield f"271 eligibility from {response.payer} for {response.provider}"
    for rejection in response.rejections:
        yield _rejection(rejection)
    for member in response.members:
        if member.is_dependent is False and not member.benefits and not member.rejections:
            continue  # a subscriber named only above a dependent
        yield f"  {member.member}: coverage {member.coverage.value}"
        for dated in member.dates:
            yield f"    {dated.kind.meaning or dated.kind.code}: {dated.start}" + (
                f" to {dated.end}" if dated.end != dated.start else ""
            )
        for rejection in member.rejections:
            yield "  " + _rejection(rejection)
        for benefit in member.benefits:
            yield f"    {_benefit(benefit)}"
        applied = member.therapy_amount_applied
        if applied is not None:
            yield f"    therapy amount applied this year (read from EB06 24): {_money(applied.amount)}"
    yield from _problems(response.problems)


def _270(request: Any) -> Iterator[str]:
    yield f"270 eligibility inquiry to {request.payer} from {request.provider}"
    for inquiry in request.inquiries:
        yield (
            f"  {inquiry.patient or inquiry.subscriber} on {inquiry.service_date}: "
            f"service types {', '.join(inquiry.service_types)}"
        )
    yield from _problems(request.problems)


def _835(remittance: Any) -> Iterator[str]:
    payment = _money(remittance.payment_amount)
    yield f"835 from {remittance.payer_name}: payment {payment}, check/EFT {remittance.trace_number}"
    for claim in remittance.claims:
        yield f"  claim {claim.patient_control_number}: charged {_money(claim.charge)}, paid {_money(claim.paid)}"
    yield from _problems(remittance.warnings)


def _837(transaction: Any) -> Iterator[str]:
    for claim in transaction["claims"]:
        yield f"  claim {claim['patient_control_number']}: charge ${claim['charge']}"
    yield from _problems(transaction["problems"])


_RENDER = {"999": _999, "277": _277, "277CA": _277, "276": _276, "271": _271, "270": _270, "835": _835, "837P": _837}


def render(kind: str, transactions: list[Any]) -> Iterator[str]:
    for transaction in transactions:
        yield from _RENDER[kind](transaction)
