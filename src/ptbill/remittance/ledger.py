"""A visit's money as ledger entries, by claim line and party: what each payer in turn was asked for, paid,
adjusted and passed on, what the patient was left with, paid and had written off, and what is still open.

A visit is a chain of claims: the first payer's claim, then the next payer's claim whose prior claim it is
(the secondary, then the tertiary). What a payer puts on the patient (group PR) is a *transfer*: it becomes
the next payer's receivable when a next claim exists or the payer crossed the claim over itself, else the
patient's. For each claim line and party the figures are sums of the entries, and::

    receivable = paid + adjusted + written off + transferred + open

The first payer's receivable is the line's charge; a next payer's is what the payer before it transferred.
A next payer's answer usually restates the whole charge and adjusts off what the prior payer settled (group
OA, CARC 23); the part of its charge beyond its receivable is taken back as a "settled by the payer before"
entry. A denial is not an adjustment: it stays open on the payer while it is worked (as
``services.balances.open_balance`` reads it), and is listed as an entry that moves no figure.

Amounts the 835 gives at the claim level, claim-level write-offs and patient money are spread over the
claim's lines in line order, each line taking up to what is open on it; patient money beyond what the
patient owes on the visit goes back to the patient's credit, and a write-off closes at most what is open
on the visit (what a payer paid after it is listed as not needed). Nothing is stored: every figure is derived
from the posted answers, the write-offs and the patient's payments each time it is read.

Pure: values in, frozen values out. Money is ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ClaimPayment, ServicePayment
from ptbill.remittance.accounting import CONTRACTUAL, SEQUESTRATION
from ptbill.remittance.denials import DenialKnowledge, classify_each

ZERO = Decimal("0.00")
PATIENT = "patient"
PATIENT_SIDE = frozenset({"small_balance", "bad_debt"})  # write-off reasons that close the patient's side

# Which figure of a party line each kind of entry moves (the others move none: money received, refunded or
# returned to the credit, a denial being worked, a provider-level adjustment).
FIGURE = {
    "charge": "receivable",
    "transfer_in": "receivable",
    "payer_payment": "paid",
    "adjustment": "adjusted",
    "prior_payer": "adjusted",
    "transfer": "transferred",
    "write_off": "written_off",
    "applied": "paid",
}


def party_name(index: int) -> str:
    return f"payer {index + 1}"  # the first payer is "payer 1"


@dataclass(frozen=True, slots=True)
class Answer:
    """One posted payer answer (an 835 claim payment), with the billed line each of its lines matched."""

    id: int
    day: date
    payment: ClaimPayment
    matched: tuple[int | None, ...]
    audit_id: int | None = None


@dataclass(frozen=True, slots=True)
class BilledLine:
    line_number: int
    code: str
    charge: Decimal


@dataclass(frozen=True, slots=True)
class ChainClaim:
    """One claim of a visit's chain: the first payer's, or a next payer's."""

    id: int
    payer_id: str
    lines: tuple[BilledLine, ...]
    answers: tuple[Answer, ...] = ()
    crossed_over_to: str | None = None
    audit_id: int | None = None


@dataclass(frozen=True, slots=True)
class UserWriteOff:
    id: int
    claim_id: int
    line_number: int | None
    amount: Decimal
    reason_code: str
    reason: str
    day: date
    audit_id: int | None = None


@dataclass(frozen=True, slots=True)
class Application:
    """Patient money applied to a visit: at receipt (``payment_id``) or later from the credit (None)."""

    id: int
    claim_id: int
    amount: Decimal
    day: date
    payment_id: int | None = None
    audit_id: int | None = None
    source: str = "user"


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the patient's ledger. ``amount`` is positive for what its kind says (a charge charged,
    a payment paid, an adjustment taken off, a transfer passed on); a reversal's are negative."""

    day: date
    kind: str  # charge, payer_payment, adjustment, prior_payer, denied, transfer, transfer_in, write_off,
    # write_off_unused, patient_payment, applied, returned, refund, provider_adjustment
    amount: Decimal
    source: str  # 835, user, statement
    party: str  # "payer 1", "payer 2" ... or "patient"
    text: str
    claim_id: int | None = None  # the visit's first claim (None: the patient's money, not yet a visit's)
    line_number: int | None = None
    record: str = ""  # the row that holds it: "claim_payment 7", "claim_write_off 3" ...
    audit_id: int | None = None
    group: str | None = None  # an adjustment's or transfer's CARC group
    reason: str | None = None  # its CARC


@dataclass(frozen=True, slots=True)
class PartyLine:
    """One claim line as one party carries it (sums of the visit's entries)."""

    line_number: int
    party: str
    receivable: Decimal = ZERO
    paid: Decimal = ZERO
    adjusted: Decimal = ZERO
    written_off: Decimal = ZERO
    transferred: Decimal = ZERO
    denied: Decimal = ZERO  # part of ``open``: a denial being worked

    @property
    def open(self) -> Decimal:
        return self.receivable - self.paid - self.adjusted - self.written_off - self.transferred


@dataclass(frozen=True, slots=True)
class PayerTotals:
    """What one payer's answers said over the whole claim, read straight from the 835 values (not from the
    entries): the invariant check compares the entries with them."""

    party: str
    claim_id: int
    paid: Decimal
    adjusted: Decimal  # non-PR adjustments, denials included
    transferred: Decimal  # group PR


@dataclass(frozen=True, slots=True)
class VisitLedger:
    """A visit's entries, its figures by line and party, and the summary a statement prints."""

    claim_id: int
    claim_ids: tuple[int, ...]
    service_date: date
    payers: tuple[str, ...]  # the payer ids in order
    parties: tuple[PartyLine, ...]
    entries: tuple[Entry, ...]
    payer_totals: tuple[PayerTotals, ...]
    returned_to_credit: Decimal  # patient money applied here beyond what the patient owes on it now
    due_since: date | None  # the day the last payer's answer put the patient's share on the patient

    def _total(self, figure: str, *, patient: bool) -> Decimal:
        return sum((getattr(p, figure) for p in self.parties if (p.party == PATIENT) is patient), ZERO)

    @property
    def charge(self) -> Decimal:
        return sum((p.receivable for p in self.parties if p.party == party_name(0)), ZERO)

    @property
    def insurance_paid(self) -> Decimal:
        return self._total("paid", patient=False)

    @property
    def insurance_adjusted(self) -> Decimal:
        return self._total("adjusted", patient=False) + self._total("written_off", patient=False)

    @property
    def insurance_open(self) -> Decimal:
        return sum((p.open for p in self.parties if p.party != PATIENT), ZERO)

    @property
    def patient_paid(self) -> Decimal:
        return self._total("paid", patient=True)

    @property
    def patient_written_off(self) -> Decimal:
        return self._total("written_off", patient=True)

    @property
    def patient_owes(self) -> Decimal:
        return self._total("open", patient=True)


def spread(amount: Decimal, room: Sequence[Decimal]) -> list[Decimal]:
    """``amount`` over lines in order, each taking up to its ``room`` (a negative amount: giving back up to
    it); what no line has room for goes on the last line, where the invariant check sees it."""
    parts = [ZERO] * len(room)
    if not room:
        return parts
    sign = Decimal(1) if amount >= ZERO else Decimal(-1)
    left = abs(amount)
    for index, space in enumerate(room):
        take = min(max(space, ZERO), left)
        parts[index] = sign * take
        left -= take
    parts[-1] += sign * left
    return parts


CarcText = Callable[[str], str]


class _Visit:
    """Builds one visit's entries in the chain's order; the figures are read back from them."""

    def __init__(self, chain: Sequence[ChainClaim], knowledge: DenialKnowledge | None, carc: CarcText) -> None:
        self.chain = chain
        self.root = chain[0]
        self.numbers = [line.line_number for line in self.root.lines]
        self.knowledge = knowledge
        self.carc = carc
        self.entries: list[Entry] = []
        self.sums: dict[tuple[int, str], dict[str, Decimal]] = {}
        self.due_since: date | None = None

    def figure(self, number: int, party: str, name: str) -> Decimal:
        return self.sums.get((number, party), {}).get(name, ZERO)

    def open(self, number: int, party: str) -> Decimal:
        sums = self.sums.get((number, party), {})
        return sums.get("receivable", ZERO) - sum(
            (sums.get(f, ZERO) for f in ("paid", "adjusted", "written_off", "transferred")), ZERO
        )

    def add(self, entry: Entry) -> None:
        if entry.amount == ZERO:
            return
        self.entries.append(entry)
        name = "denied" if entry.kind == "denied" else FIGURE.get(entry.kind)
        if name is not None and entry.line_number is not None:
            sums = self.sums.setdefault((entry.line_number, entry.party), {})
            sums[name] = sums.get(name, ZERO) + entry.amount

    def place(self, entry: Entry) -> None:
        """An amount on its line, or (``line_number`` None) spread over the lines by what is open on them."""
        if entry.line_number is not None:
            self.add(entry)
            return
        room = [self._room(n, entry.party, entry.kind, entry.amount) for n in self.numbers]
        for number, part in zip(self.numbers, spread(entry.amount, room), strict=True):
            self.add(replace(entry, amount=part, line_number=number))

    def _room(self, number: int, party: str, kind: str, amount: Decimal) -> Decimal:
        if amount < ZERO:  # giving back: up to what this kind of entry put on the line
            return self.figure(number, party, FIGURE.get(kind, "denied" if kind == "denied" else "paid"))
        open_now = self.open(number, party)
        if kind in ("payer_payment", "adjustment", "transfer"):
            open_now -= self.figure(number, party, "denied")  # a claim-level amount does not land on a denial
        return open_now

    def charges(self, service_date: date) -> None:
        for line in self.root.lines:
            self.add(
                Entry(
                    service_date,
                    "charge",
                    line.charge,
                    "user",
                    party_name(0),
                    f"Charge, {line.code}",
                    self.root.id,
                    line.line_number,
                    f"claim {self.root.id}",
                    self.root.audit_id,
                )
            )

    def payer(self, index: int, claim: ChainClaim) -> PayerTotals:
        name = party_name(index)
        following = index + 1 < len(self.chain) or claim.crossed_over_to is not None
        nxt = party_name(index + 1) if following else PATIENT
        paid = adjusted = transferred = ZERO
        for answer in claim.answers:
            base = Entry(answer.day, "payer_payment", ZERO, "835", name, "Paid", self.root.id)
            base = replace(base, record=f"claim_payment {answer.id}", audit_id=answer.audit_id)
            payment = answer.payment
            line_paid = ZERO
            for service, matched in zip(payment.service_lines, answer.matched, strict=True):
                number = matched if matched in self.numbers else None
                line_paid += service.paid
                text = "Paid" if number is not None else f"Paid, {service.procedure_code} (no billed line matched)"
                self.place(replace(base, amount=service.paid, text=text, line_number=number))
                self._adjustments(replace(base, line_number=number), service, service.adjustments, nxt)
            if payment.paid != line_paid:
                self.place(replace(base, amount=payment.paid - line_paid, text="Paid (claim)"))
            self._adjustments(base, payment, payment.adjustments, nxt)
            paid += payment.paid
            every = list(payment.adjustments) + [a for s in payment.service_lines for a in s.adjustments]
            transferred += sum((a.amount for a in every if a.group is AdjustmentGroup.PATIENT), ZERO)
            adjusted += sum((a.amount for a in every if a.group is not AdjustmentGroup.PATIENT), ZERO)
        if index and claim.answers:
            self._prior_payer(claim, name)
        if nxt == PATIENT and transferred != ZERO:
            self.due_since = max(a.day for a in claim.answers)
        return PayerTotals(name, claim.id, paid, adjusted, transferred)

    def _prior_payer(self, claim: ChainClaim, name: str) -> None:
        """A next payer's answers restate the charge: the part beyond its receivable was settled before."""
        charged: dict[int, Decimal] = {}
        for answer in claim.answers:
            for service, matched in zip(answer.payment.service_lines, answer.matched, strict=True):
                if matched in self.numbers:
                    assert matched is not None
                    charged[matched] = charged.get(matched, ZERO) + service.charge
        day = max(a.day for a in claim.answers)
        for number, charge in charged.items():
            if charge == ZERO:
                continue
            receivable = self.figure(number, name, "receivable")
            self.add(
                Entry(
                    day,
                    "prior_payer",
                    receivable - charge,
                    "835",
                    name,
                    "Part of the charge the payer before settled (not owed again)",
                    self.root.id,
                    number,
                    f"claim {claim.id}",
                )
            )

    def _adjustments(
        self, base: Entry, item: ServicePayment | ClaimPayment, adjustments: Sequence[Adjustment], nxt: str
    ) -> None:
        """``base``: the answer's entry on the item's line (None: the claim level), its kind and amount unset."""
        reasons = classify_each(item, self.knowledge) if any(_classified(a) for a in adjustments) else ()
        for position, adjustment in enumerate(adjustments):
            group, code = adjustment.group.value, adjustment.reason
            text = f"{group}-{code}: {self.carc(code)}"
            entry = replace(base, amount=adjustment.amount, text=text, group=group, reason=code)
            if adjustment.group is AdjustmentGroup.PATIENT:
                to = "the patient" if nxt == PATIENT else f"the next payer, {nxt}"
                before = len(self.entries)
                self.place(replace(entry, kind="transfer", text=f"{text}, passed to {to}"))
                for moved in self.entries[before:]:  # the same amounts, on the same lines, to the next party
                    self.add(replace(moved, kind="transfer_in", party=nxt, text=f"{text}, from {base.party}"))
                continue
            reason = reasons[position] if position < len(reasons) else None
            denial = _classified(adjustment) and reason is not None and reason.is_denial
            self.place(replace(entry, kind="denied" if denial else "adjustment"))

    def write_off(self, item: UserWriteOff, party_of_claim: dict[int, str]) -> None:
        """Closes what is open: on its side first (the patient's, or the payer of its claim), then anywhere
        else on the visit (a next payer billed after the patient's share was written off holds it now). What
        nothing has open any more (the payer paid it after the write-off) is listed, and closes nothing."""
        mine = party_of_claim.get(item.claim_id, party_name(0))
        side = PATIENT if item.reason_code in PATIENT_SIDE else mine
        everyone = [side, mine, *(party_name(i) for i in range(len(self.chain) + 1)), PATIENT]
        base = Entry(item.day, "write_off", ZERO, "user", side, f"Written off: {item.reason}", self.root.id)
        base = replace(base, record=f"claim_write_off {item.id}", audit_id=item.audit_id)
        numbers = [item.line_number] if item.line_number in self.numbers else self.numbers
        left = item.amount
        for party in dict.fromkeys(everyone):
            for number in numbers:
                take = min(max(self.open(number, party), ZERO), left)
                self.add(replace(base, amount=take, party=party, line_number=number))
                left -= take
        text = "Not needed any more: paid or passed on after the write-off"
        self.add(replace(base, kind="write_off_unused", amount=left, text=text, line_number=None))

    def apply(self, item: Application) -> Decimal:
        """Patient money applied to the visit, up to what the patient owes on it; the rest (returned)."""
        room = [max(self.open(n, PATIENT), ZERO) for n in self.numbers]
        take = min(item.amount, sum(room, ZERO))
        base = Entry(item.day, "applied", ZERO, item.source, PATIENT, "Patient payment applied", self.root.id)
        base = replace(base, record=f"payment_application {item.id}", audit_id=item.audit_id)
        for number, part in zip(self.numbers, spread(take, room), strict=True):
            self.add(replace(base, amount=part, line_number=number))
        returned = item.amount - take
        self.add(replace(base, kind="returned", amount=returned, text="More than the visit owes: back to the credit"))
        return returned


def _classified(adjustment: Adjustment) -> bool:
    """Read by the denial classifier (the others are read by group and code), as ``accounting`` reads them."""
    return adjustment.group is not AdjustmentGroup.PATIENT and adjustment.reason not in (CONTRACTUAL, SEQUESTRATION)


def visit_ledger(
    chain: Sequence[ChainClaim],
    service_date: date,
    write_offs: Sequence[UserWriteOff] = (),
    applications: Sequence[Application] = (),
    *,
    knowledge: DenialKnowledge | None = None,
    carc: CarcText = lambda code: "",
) -> VisitLedger:
    """One visit's ledger. ``chain``: the first payer's claim, then each next payer's in order. Write-offs
    and applications are taken in the order given (the order they were recorded)."""
    visit = _Visit(chain, knowledge, carc)
    visit.charges(service_date)
    totals = tuple(visit.payer(index, claim) for index, claim in enumerate(chain))
    party_of_claim = {claim.id: party_name(index) for index, claim in enumerate(chain)}
    returned = ZERO
    events: list[tuple[date, int, UserWriteOff | Application]] = [(w.day, 0, w) for w in write_offs]
    events += [(a.day, 1, a) for a in applications]
    for _, _, event in sorted(events, key=lambda e: (e[0], e[1], e[2].id)):
        if isinstance(event, UserWriteOff):
            visit.write_off(event, party_of_claim)
        else:
            returned += visit.apply(event)
    parties = tuple(PartyLine(number, party, **sums) for (number, party), sums in sorted(visit.sums.items()))
    return VisitLedger(
        claim_id=visit.root.id,
        claim_ids=tuple(c.id for c in chain),
        service_date=service_date,
        payers=tuple(c.payer_id for c in chain) + ((chain[-1].crossed_over_to,) if chain[-1].crossed_over_to else ()),
        parties=parties,
        entries=tuple(visit.entries),
        payer_totals=totals,
        returned_to_credit=returned,
        due_since=visit.due_since,
    )
