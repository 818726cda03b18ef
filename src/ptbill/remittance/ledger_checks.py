"""The ledger's invariants, checked from its entries: every test of the ledger (and the property test's
every step) calls ``broken_invariants``; an empty list means the books balance.

Per claim line and party: receivable = paid + adjusted + written off + transferred + open, with the open
balance never below zero; what a payer transferred is exactly what the next party received; each payer's
entries add up to what its 835 answers said; the patient's credit is never below zero, so refunds never
exceed the money received and not applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ptbill.remittance.ledger import FIGURE, PATIENT, ZERO, VisitLedger


def visit_invariants(visit: VisitLedger) -> list[str]:
    """What is wrong with one visit's figures, in words naming the claim, line and party."""
    broken: list[str] = []
    where = f"claim {visit.claim_id}"
    sums: dict[tuple[int, str, str], Decimal] = {}
    for entry in visit.entries:
        figure = "denied" if entry.kind == "denied" else FIGURE.get(entry.kind)
        if figure is not None and entry.line_number is not None:
            key = (entry.line_number, entry.party, figure)
            sums[key] = sums.get(key, ZERO) + entry.amount
    for line in visit.parties:
        at = f"{where} line {line.line_number} {line.party}"
        for figure in ("receivable", "paid", "adjusted", "written_off", "transferred", "denied"):
            if sums.get((line.line_number, line.party, figure), ZERO) != getattr(line, figure):
                broken.append(f"{at}: {figure} {getattr(line, figure)} is not the sum of its entries")
        total = line.paid + line.adjusted + line.written_off + line.transferred + line.open
        if total != line.receivable:
            broken.append(f"{at}: receivable {line.receivable} != paid + adjusted + written off + transferred + open")
        if line.open < ZERO:
            broken.append(f"{at}: open balance {line.open} is below zero")
        if line.party == PATIENT and line.paid < ZERO:
            broken.append(f"{at}: patient paid {line.paid} is below zero")
    by_party = {(p.line_number, p.party): p for p in visit.parties}
    order = [t.party for t in visit.payer_totals]
    for line_number in sorted({p.line_number for p in visit.parties}):
        for index, party in enumerate(order):
            nxt = order[index + 1] if index + 1 < len(order) else None
            giver = by_party.get((line_number, party))
            given = giver.transferred if giver else ZERO
            candidates = [nxt] if nxt else [f"payer {index + 2}", PATIENT]
            taken = sum(
                (by_party[(line_number, c)].receivable for c in candidates if (line_number, c) in by_party), ZERO
            )
            if given != taken:
                broken.append(
                    f"{where} line {line_number}: {party} transferred {given}, the next party received {taken}"
                )
    for totals in visit.payer_totals:
        entries = [e for e in visit.entries if e.party == totals.party and e.record.startswith("claim_payment")]
        paid = sum((e.amount for e in entries if e.kind == "payer_payment"), ZERO)
        adjusted = sum((e.amount for e in entries if e.kind in ("adjustment", "denied")), ZERO)
        transferred = sum((e.amount for e in entries if e.kind == "transfer"), ZERO)
        if (paid, adjusted, transferred) != (totals.paid, totals.adjusted, totals.transferred):
            broken.append(
                f"{where} {totals.party}: entries paid {paid}, adjusted {adjusted}, transferred {transferred}; "
                f"its 835 answers say {totals.paid}, {totals.adjusted}, {totals.transferred}"
            )
    return broken


def credit_invariants(received: Decimal, applied: Decimal, returned: Decimal, refunded: Decimal) -> list[str]:
    """The patient's money: credit = received − applied + returned − refunded, never below zero."""
    credit = received - applied + returned - refunded
    broken = []
    if credit < ZERO:
        broken.append(f"credit {credit} is below zero (refunds {refunded} exceed the money not applied)")
    if min(received, applied, returned, refunded) < ZERO:
        broken.append("a payment, an application, a return or a refund is below zero")
    return broken


def broken_invariants(
    visits: Sequence[VisitLedger], received: Decimal, applied: Decimal, refunded: Decimal
) -> list[str]:
    broken = [problem for visit in visits for problem in visit_invariants(visit)]
    returned = sum((v.returned_to_credit for v in visits), ZERO)
    return broken + credit_invariants(received, applied, returned, refunded)
