"""Who carries each dollar of a claim: the payer, the patient, or the clinic's write-off, by CARC group code.

One 835 claim payment (or several: a payment, a later supplement, a reversal) and the amounts the clinic
expected give a ``ClaimAccount``: the balance by party for the claim and for each of its lines, whether
the payer denied it, and whether it paid less than expected. Every consumer (posting status, the
denial worklist, the denial rate, expected vs paid, the claim pages and the API) asks this module, so
"denied" and "underpaid" mean the same everywhere.

- Group PR is the patient's: CARC 1 deductible, 2 coinsurance, 3 copay, anything else "patient other".
- CO-45 is the contractual write-off (charge above the allowed amount); CO-253 is sequestration.
- Any other adjustment is a denial when the classifier (``remittance.denials``) says so, else an
  "other adjustment" the clinic writes off (an MPPR reduction, a prior payer's payment ...).
- Expected vs paid compares like with like: the expected allowed amount with what the payer allowed
  (payer paid + patient responsibility + sequestration), and the payer's expected share with what it
  paid. Neither a deductible nor a coinsurance nor sequestration is an underpayment.

Pure: domain values in, frozen values out. Money is ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ClaimPayment, ClaimStatus, ServicePayment
from ptbill.remittance.denials import DenialKnowledge, DenialReason, classify_each

ZERO = Decimal("0.00")
UNDERPAID_TOLERANCE = Decimal("0.50")  # less than this short of the expected amount is not an underpayment

DEDUCTIBLE, COINSURANCE, COPAY = "1", "2", "3"
CONTRACTUAL, SEQUESTRATION = "45", "253"
_PATIENT_REASONS = {DEDUCTIBLE: "deductible", COINSURANCE: "coinsurance", COPAY: "copay"}


@dataclass(frozen=True, slots=True)
class Balance:
    """A charge split by who carries it. Each field is a sum of 835 amounts (a reversal's are negative)."""

    charge: Decimal = ZERO
    payer_paid: Decimal = ZERO
    deductible: Decimal = ZERO  # PR-1
    coinsurance: Decimal = ZERO  # PR-2
    copay: Decimal = ZERO  # PR-3
    patient_other: Decimal = ZERO  # any other PR (e.g. non-covered with a signed ABN)
    contractual: Decimal = ZERO  # CO-45: above the allowed amount, never billed to the patient
    sequestration: Decimal = ZERO  # CO-253: the federal reduction of the payer's share
    other_adjustments: Decimal = ZERO  # adjustments that are not denials (MPPR, prior payer ...)
    denied: Decimal = ZERO  # adjustments the classifier calls denials: to correct or appeal

    def __add__(self, other: Balance) -> Balance:
        return Balance(
            self.charge + other.charge,
            self.payer_paid + other.payer_paid,
            self.deductible + other.deductible,
            self.coinsurance + other.coinsurance,
            self.copay + other.copay,
            self.patient_other + other.patient_other,
            self.contractual + other.contractual,
            self.sequestration + other.sequestration,
            self.other_adjustments + other.other_adjustments,
            self.denied + other.denied,
        )

    @property
    def patient(self) -> Decimal:
        """What the patient owes: every group PR amount."""
        return self.deductible + self.coinsurance + self.copay + self.patient_other

    @property
    def written_off(self) -> Decimal:
        """What the clinic writes off and may not bill anyone for (denials are worked, not written off)."""
        return self.contractual + self.sequestration + self.other_adjustments

    @property
    def allowed(self) -> Decimal:
        """What the payer allowed: its payment, the patient's share and sequestration."""
        return self.payer_paid + self.patient + self.sequestration

    @property
    def unexplained(self) -> Decimal:
        """Charge the 835 puts on no one (zero when the payment balances)."""
        return self.charge - self.payer_paid - self.patient - self.written_off - self.denied


class Outcome(StrEnum):
    """What the payer's answers, taken together, mean for a claim or a line."""

    PAID = "paid"  # processed, and (when an amount was expected) allowed what was expected
    UNDERPAID = "underpaid"  # processed, but allowed or paid less than expected
    PARTLY_DENIED = "partly denied"  # something was paid or put on the patient, something denied
    DENIED = "denied"  # nothing paid, nothing on the patient, denied
    REVERSED = "reversed"  # the payer took back everything it had paid


@dataclass(frozen=True, slots=True)
class ExpectedLine:
    """One billed line and the amount its fee schedule allows (None: not priced)."""

    line_number: int
    code: str
    allowed: Decimal | None = None
    payer_share: Decimal | None = None  # None: the expected allowed less the patient's share and sequestration


@dataclass(frozen=True, slots=True)
class Expected:
    """What the clinic expected for a claim: the allowed amount in total and per line."""

    allowed: Decimal | None = None
    lines: tuple[ExpectedLine, ...] = ()
    payer_share: Decimal | None = None


def _short(expected: Decimal | None, got: Decimal) -> Decimal | None:
    return None if expected is None else expected - got


class _LikeWithLike:
    """Expected against received, for a line or a claim: the allowed amounts, and the payer's share."""

    __slots__ = ()
    balance: Balance
    expected_allowed: Decimal | None
    expected_payer_share: Decimal | None

    @property
    def payer_share_expected(self) -> Decimal | None:
        """The payer's expected share: given, or the expected allowed less the patient's share and sequestration."""
        if self.expected_payer_share is not None:
            return self.expected_payer_share
        if self.expected_allowed is None:
            return None
        return self.expected_allowed - self.balance.patient - self.balance.sequestration

    @property
    def allowed_short(self) -> Decimal | None:
        """Expected allowed less what the payer allowed (paid + patient + sequestration)."""
        return _short(self.expected_allowed, self.balance.allowed)

    @property
    def payer_short(self) -> Decimal | None:
        """The payer's expected share less what it paid."""
        return _short(self.payer_share_expected, self.balance.payer_paid)


@dataclass(frozen=True, slots=True)
class LineAccount(_LikeWithLike):
    """One billed line (or a paid line that matched none: ``line_number`` None) and its balance."""

    line_number: int | None
    code: str
    balance: Balance
    expected_allowed: Decimal | None = None
    expected_payer_share: Decimal | None = None
    answered: bool = False  # some 835 line answered it
    tolerance: Decimal = UNDERPAID_TOLERANCE

    @property
    def underpaid(self) -> Decimal:
        """How much less than expected the payer allowed or paid, beyond the tolerance; a denial is not an
        underpayment (it is worked as a denial)."""
        if not self.answered or self.balance.denied != ZERO:
            return ZERO
        short = max(self.allowed_short or ZERO, self.payer_short or ZERO)
        return short if short > self.tolerance else ZERO

    @property
    def outcome(self) -> Outcome:
        return _outcome(self.balance, denied_status=False, reversed_=False, underpaid=self.underpaid)


def _outcome(balance: Balance, *, denied_status: bool, reversed_: bool, underpaid: Decimal) -> Outcome:
    if reversed_:
        return Outcome.REVERSED if balance.payer_paid <= ZERO else Outcome.UNDERPAID
    nothing_allowed = balance.payer_paid <= ZERO and balance.patient <= ZERO
    if nothing_allowed and (denied_status or balance.denied > ZERO):
        return Outcome.DENIED
    if balance.denied > ZERO:
        return Outcome.PARTLY_DENIED
    return Outcome.UNDERPAID if underpaid > ZERO else Outcome.PAID


@dataclass(frozen=True, slots=True)
class ClaimAccount(_LikeWithLike):
    """A claim's balance by party over all the payer's answers so far, its lines', and what it means."""

    balance: Balance
    lines: tuple[LineAccount, ...]
    expected_allowed: Decimal | None
    expected_payer_share: Decimal | None
    denied_status: bool  # the payer's status code said denied (CLP02 4) in an answer not since undone
    reversed_last: bool  # the latest answer is a reversal
    denial_reasons: tuple[DenialReason, ...] = ()  # one per denying adjustment, as the classifier read it
    tolerance: Decimal = UNDERPAID_TOLERANCE
    answers: int = 0
    _claim_level: Balance = field(default_factory=Balance)

    @property
    def underpaid(self) -> Decimal:
        """The shortfall beyond the tolerance, never a denied amount. Where priced lines were answered one
        by one, their expected allowed amounts against what the payer allowed on them (less what it put
        on the patient or sequestered at the claim level); else the claim's own amounts."""
        if self.answers == 0 or self.denied:
            return ZERO
        priced = [
            line
            for line in self.lines
            if line.answered and line.expected_allowed is not None and line.balance.denied == ZERO
        ]
        if priced:
            short = sum((max(line.allowed_short or ZERO, line.payer_short or ZERO) for line in priced), ZERO)
            short -= self._claim_level.patient + self._claim_level.sequestration
        elif self.balance.denied != ZERO:
            return ZERO
        else:
            short = max(self.allowed_short or ZERO, self.payer_short or ZERO)
        return short if short > self.tolerance else ZERO

    @property
    def outcome(self) -> Outcome:
        return _outcome(
            self.balance, denied_status=self.denied_status, reversed_=self.reversed_last, underpaid=self.underpaid
        )

    @property
    def denied(self) -> bool:
        """The whole claim is denied: nothing paid, nothing on the patient, and the payer said so (status 4)
        or denied with an adjustment the classifier calls a denial."""
        return (
            not self.reversed_last
            and self.balance.payer_paid <= ZERO
            and self.balance.patient <= ZERO
            and (self.denied_status or self.balance.denied > ZERO)
        )

    @property
    def has_denial(self) -> bool:
        """Denied in whole or in part: belongs on the denial worklist."""
        return self.outcome in (Outcome.DENIED, Outcome.PARTLY_DENIED)

    @property
    def denied_amount(self) -> Decimal:
        """What the denial keeps from the clinic: the denying adjustments, or for a claim denied without
        them, the charge nobody paid."""
        if self.balance.denied > ZERO:
            return self.balance.denied
        if self.denied:
            return self.balance.charge - self.balance.payer_paid - self.balance.patient
        return ZERO

    @property
    def main_denial(self) -> DenialReason | None:
        """The denial that keeps the most money: what the worklist groups the claim under."""
        if not self.denial_reasons:
            return None
        return max(self.denial_reasons, key=lambda r: r.amount or ZERO)


# Where each amount goes among Balance's fields, in their order: charge, payer paid, then these.
_SLOT = {"1": 2, "2": 3, "3": 4}  # PR-1 deductible, PR-2 coinsurance, PR-3 copay; other PR: 5
_CONTRACTUAL_SLOT, _SEQUESTRATION_SLOT, _OTHER_SLOT, _DENIED_SLOT = 6, 7, 8, 9


def _split(
    sums: list[Decimal], adjustments: Sequence[Adjustment], reasons: Sequence[DenialReason | None]
) -> list[DenialReason]:
    """Adds some adjustments to ``sums`` (Balance's fields, in order), and returns the denials among them.
    Plain lists while adding up: a frozen Balance per step is what would make a large posting slow."""
    denials = []
    for adjustment, reason in zip(adjustments, reasons, strict=True):
        if adjustment.group is AdjustmentGroup.PATIENT:
            slot = _SLOT.get(adjustment.reason, 5)
        elif adjustment.reason == CONTRACTUAL:
            slot = _CONTRACTUAL_SLOT
        elif adjustment.reason == SEQUESTRATION:
            slot = _SEQUESTRATION_SLOT
        elif reason is not None and reason.is_denial:
            slot = _DENIED_SLOT
            denials.append(reason)
        else:
            slot = _OTHER_SLOT
        sums[slot] += adjustment.amount
    return denials


def _zeros() -> list[Decimal]:
    return [ZERO] * 10


def _needs_classifier(adjustment: Adjustment) -> bool:
    return adjustment.group is not AdjustmentGroup.PATIENT and adjustment.reason not in (CONTRACTUAL, SEQUESTRATION)


def _reasons(
    item: ServicePayment | ClaimPayment, adjustments: Sequence[Adjustment], knowledge: DenialKnowledge | None
) -> list[DenialReason | None]:
    """The classifier's reading of each adjustment that needs one (the others are read by group and code)."""
    if not any(_needs_classifier(a) for a in adjustments):
        return [None] * len(adjustments)
    return list(classify_each(item, knowledge)[: len(adjustments)])


def _net(denials: Sequence[DenialReason]) -> tuple[DenialReason, ...]:
    """One reason per group and code with the amount still denied: a reversal's negative amounts undo a
    denial the payer has since reprocessed."""
    net: dict[tuple[object, str | None], DenialReason] = {}
    for reason in denials:
        key = (reason.group, reason.carc)
        before = net.get(key)
        amount = (before.amount or ZERO if before else ZERO) + (reason.amount or ZERO)
        net[key] = replace(before or reason, amount=amount)
    return tuple(r for r in net.values() if (r.amount or ZERO) > ZERO)


def _match_by_code(expected: Sequence[ExpectedLine], payment: ClaimPayment) -> list[int | None]:
    taken: set[int] = set()
    matched: list[int | None] = []
    for service in payment.service_lines:
        line = next((e for e in expected if e.code == service.billed_code and e.line_number not in taken), None)
        if line is not None:
            taken.add(line.line_number)
        matched.append(line.line_number if line else None)
    return matched


def account_claim(
    payments: Sequence[ClaimPayment],
    expected: Expected | None = None,
    *,
    matched: Sequence[Sequence[int | None]] | None = None,
    knowledge: DenialKnowledge | None = None,
    tolerance: Decimal = UNDERPAID_TOLERANCE,
) -> ClaimAccount:
    """The claim's account after ``payments`` (in the order received).

    ``matched`` gives, per payment, the billed line number each 835 service line answers (posting's
    matching); without it, service lines are matched to ``expected.lines`` by code in order.
    """
    expected = expected or Expected()
    claim_level = _zeros()
    by_line: dict[int, list[Decimal]] = {e.line_number: _zeros() for e in expected.lines}
    answered: set[int] = set()
    unmatched: list[LineAccount] = []
    denials: list[DenialReason] = []
    total = _zeros()
    denied_status = False
    for index, payment in enumerate(payments):
        total[0] += payment.charge
        total[1] += payment.paid
        denials += _split(claim_level, payment.adjustments, _reasons(payment, payment.adjustments, knowledge))
        numbers = matched[index] if matched is not None else _match_by_code(expected.lines, payment)
        for service, number in zip(payment.service_lines, numbers, strict=True):
            line = _zeros()
            line[0], line[1] = service.charge, service.paid
            denials += _split(line, service.adjustments, _reasons(service, service.adjustments, knowledge))
            for i in range(2, 10):  # the claim's CLP03 and CLP04 already count the line's charge and payment
                total[i] += line[i]
            if number is not None and number in by_line:
                sums = by_line[number]
                for i in range(10):
                    sums[i] += line[i]
                answered.add(number)
            else:
                unmatched.append(
                    LineAccount(None, service.billed_code, Balance(*line), answered=True, tolerance=tolerance)
                )
        if payment.status is ClaimStatus.DENIED:
            denied_status = True
        elif not payment.is_reversal and payment.paid > ZERO:
            denied_status = False  # paid after all (a reprocessed claim)
    for i in range(2, 10):
        total[i] += claim_level[i]
    lines = tuple(
        LineAccount(
            e.line_number,
            e.code,
            Balance(*by_line[e.line_number]),
            e.allowed,
            e.payer_share,
            answered=e.line_number in answered,
            tolerance=tolerance,
        )
        for e in expected.lines
    ) + tuple(unmatched)
    reversed_last = bool(payments) and payments[-1].is_reversal
    return ClaimAccount(
        balance=Balance(*total),
        lines=lines,
        expected_allowed=expected.allowed,
        expected_payer_share=expected.payer_share,
        denied_status=denied_status,
        reversed_last=reversed_last,
        denial_reasons=_net(denials),
        tolerance=tolerance,
        answers=len(payments),
        _claim_level=Balance(*claim_level),
    )


def denials_of(payment: ClaimPayment, knowledge: DenialKnowledge | None = None) -> list[DenialReason]:
    """One answer's denials before netting, in the order ``account_claim`` reads them: the claim's
    adjustments, then each line's. A claim's ``denial_reasons`` are its answers' lists netted together."""
    found = _split(_zeros(), payment.adjustments, _reasons(payment, payment.adjustments, knowledge))
    for service in payment.service_lines:
        found += _split(_zeros(), service.adjustments, _reasons(service, service.adjustments, knowledge))
    return found


@dataclass(frozen=True, slots=True)
class AnswerFigures:
    """One answer as it was accounted on its own: its status, its balance and its denials before netting."""

    status: ClaimStatus
    balance: Balance
    denials: tuple[DenialReason, ...]


def account_of_answers(answers: Sequence[AnswerFigures]) -> ClaimAccount:
    """A claim's account from its answers' own figures, in the order received: the balance, whether it is
    denied and for what, as ``account_claim`` reads them; without its lines or expected amounts (so no
    underpayment)."""
    total = Balance()
    denied_status = False
    denials: list[DenialReason] = []
    for answer in answers:
        total = total + answer.balance
        denials += answer.denials
        if answer.status is ClaimStatus.DENIED:
            denied_status = True
        elif answer.status is not ClaimStatus.REVERSAL and answer.balance.payer_paid > ZERO:
            denied_status = False  # paid after all (a reprocessed claim)
    return ClaimAccount(
        balance=total,
        lines=(),
        expected_allowed=None,
        expected_payer_share=None,
        denied_status=denied_status,
        reversed_last=bool(answers) and answers[-1].status is ClaimStatus.REVERSAL,
        denial_reasons=_net(denials),
        answers=len(answers),
    )
