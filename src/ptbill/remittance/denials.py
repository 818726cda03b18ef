"""Why a payer did not pay, in a biller's words: the next step and the ptbill checks that should have caught it.

The knowledge is data (``reference_data/baseline/all/denials.yaml``: one dated, cited parameter per
CARC or RARC entry, so a payer's own file can replace one); code texts come from ``AdjustmentCodes``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ptbill.domain.clock import SYSTEM_CLOCK
from ptbill.domain.errors import ReferenceDataError
from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ClaimPayment, ServicePayment
from ptbill.reference.adjustment_codes import AdjustmentCodes
from ptbill.reference.catalog import DATA_DIR, Snapshot
from ptbill.reference.parameters import load_parameter_file

DEFAULT_PATH = DATA_DIR / "baseline" / "all" / "denials.yaml"
PREFIX = "denials."

_FIELDS = frozenset(
    {"carc", "groups", "rarcs", "reason", "next_action", "rules", "denial", "appealable", "remark_explains"}
)


@dataclass(frozen=True, slots=True)
class DenialEntry:
    """One piece of denial knowledge and the codes it applies to."""

    name: str  # the parameter name, e.g. denials.carc.197
    carc: str | None
    groups: frozenset[AdjustmentGroup]  # empty: any group
    rarcs: frozenset[str]  # empty: no remark condition; else any one of them
    reason: str
    next_action: str
    rules: tuple[str, ...]
    is_denial: bool
    appealable: bool
    remark_explains: bool  # the CARC's usage requires a remark code, whose entry says more
    source: str
    confidence: str

    def matches(self, carc: str | None, group: AdjustmentGroup | None, rarcs: frozenset[str]) -> bool:
        if self.carc is not None and self.carc != carc:
            return False
        if self.groups and group not in self.groups:
            return False
        return not self.rarcs or bool(self.rarcs & rarcs)

    @property
    def specificity(self) -> int:
        return 2 * (self.carc is not None) + 2 * bool(self.rarcs) + bool(self.groups)


@dataclass(frozen=True, slots=True)
class DenialReason:
    """What an adjustment (or a line's or claim's main adjustment) means and what to do about it."""

    carc: str | None
    rarcs: tuple[str, ...]
    group: AdjustmentGroup | None
    reason: str
    next_action: str
    rules: tuple[str, ...]  # ptbill check ids that should have caught it before submission
    is_denial: bool
    appeal_deadline_days: int | None = None  # set when it is an appealable denial and a deadline was given
    amount: Decimal | None = None
    sources: tuple[str, ...] = ()


class DenialKnowledge:
    """The denial entries in force on one date, and the code texts used when no entry applies."""

    def __init__(self, entries: Iterable[DenialEntry], codes: AdjustmentCodes | None = None) -> None:
        self.entries = tuple(entries)
        self.codes = codes or AdjustmentCodes.load()
        # matching's answers by CARC, group and remarks: the entries never change, and a page reads thousands
        # of adjustments with a few dozen distinct codes
        self._matched: dict[tuple[str | None, AdjustmentGroup | None, frozenset[str]], tuple[DenialEntry, ...]] = {}

    @classmethod
    def load(
        cls, path: Path | None = None, on: date | None = None, codes: AdjustmentCodes | None = None
    ) -> DenialKnowledge:
        """The entries of a denials file in force on ``on`` (default: today, by the one clock)."""
        source = path or DEFAULT_PATH
        day = on or SYSTEM_CLOCK.today()
        label = str(source.relative_to(DATA_DIR)) if source.is_relative_to(DATA_DIR) else str(source)
        entries = []
        for parameter in load_parameter_file(source, "baseline", label):
            if not parameter.name.startswith(PREFIX):
                continue
            dated = parameter.at(day)
            if dated is not None and dated.value is not None:
                entries.append(entry_from_value(parameter.name, dated.value, dated.reference, dated.confidence))
        return cls(entries, codes)

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, codes: AdjustmentCodes | None = None) -> DenialKnowledge:
        """The entries for one payer and date, with the payer's own files laid over the baseline."""
        entries = []
        for name in snapshot.names():
            resolved = snapshot.resolved(name) if name.startswith(PREFIX) else None
            if resolved is not None:
                entries.append(entry_from_value(name, resolved.value, resolved.reference, resolved.confidence))
        return cls(entries, codes)

    def matching(self, carc: str | None, group: AdjustmentGroup | None, rarcs: Iterable[str]) -> list[DenialEntry]:
        """Entries that apply, the one that best explains the case first."""
        remarks = frozenset(rarcs)
        key = (carc, group, remarks)
        known = self._matched.get(key)
        if known is None:
            found = [e for e in self.entries if (e.carc or e.rarcs) and e.matches(carc, group, remarks)]
            # A remark explains a "see the remark code" CARC (16, 96, A1, 234) better than the CARC does;
            # otherwise the more conditions an entry meets the better, and a CARC's own entry before a remark's.
            found.sort(key=lambda e: (not e.remark_explains, e.specificity, e.carc is not None), reverse=True)
            if len(self._matched) > 10_000:
                self._matched.clear()
            known = self._matched[key] = tuple(found)
        return list(known)


@functools.cache
def shipped_knowledge() -> DenialKnowledge:
    """The shipped denial entries in force today (read once per process)."""
    return DenialKnowledge.load()


def entry_from_value(name: str, value: Any, reference: str, confidence: str) -> DenialEntry:
    where = f"denial entry {name}"
    if not isinstance(value, Mapping):
        raise ReferenceDataError(f"{where}: the value must be a mapping with reason, next_action and rules")
    unknown = set(value) - _FIELDS
    if unknown:
        raise ReferenceDataError(f"{where}: unknown field(s) {sorted(unknown)}; known: {sorted(_FIELDS)}")
    carc = _text(value.get("carc"))
    rarcs = frozenset(_texts(value.get("rarcs"), where, "rarcs"))
    if carc is None and not rarcs:
        raise ReferenceDataError(f"{where}: needs a carc, or rarcs, to match on")
    try:
        groups = frozenset(AdjustmentGroup(g) for g in _texts(value.get("groups"), where, "groups"))
    except ValueError as exc:
        raise ReferenceDataError(f"{where}: {exc}") from None
    reason, next_action = _text(value.get("reason")), _text(value.get("next_action"))
    if not reason or not next_action:
        raise ReferenceDataError(f"{where}: reason and next_action are required")
    flags = {key: value.get(key, default) for key, default in (("appealable", True), ("remark_explains", False))}
    if not isinstance(value.get("denial"), bool) or not all(isinstance(v, bool) for v in flags.values()):
        raise ReferenceDataError(f"{where}: denial (required), appealable and remark_explains are true or false")
    return DenialEntry(
        name=name,
        carc=carc,
        groups=groups,
        rarcs=rarcs,
        reason=reason,
        next_action=next_action,
        rules=tuple(_texts(value.get("rules"), where, "rules")),
        is_denial=value["denial"],
        appealable=flags["appealable"],
        remark_explains=flags["remark_explains"],
        source=reference,
        confidence=confidence,
    )


def _text(raw: Any) -> str | None:
    if raw is None:
        return None
    text = " ".join(str(raw).split())
    return text or None


def _texts(raw: Any, where: str, key: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ReferenceDataError(f"{where}: {key} must be a list")
    return [str(item).strip().upper() for item in raw if str(item).strip()]


# Classification -------------------------------------------------------------------------------------

_PATIENT_LIABLE = (
    " Group PR: the payer holds the patient responsible (for example a signed ABN or waiver): bill the patient."
)
_NO_GUIDANCE = (
    "ptbill has no guidance for this code yet: read the code texts and the payer's policy, then correct or appeal."
)


def classify(
    item: Adjustment | ServicePayment | ClaimPayment,
    knowledge: DenialKnowledge | None = None,
    *,
    remarks: Sequence[str] = (),
    appeal_deadline_days: int | None = None,
) -> DenialReason:
    """The reason behind an adjustment, or behind a line's or claim's main adjustment.

    ``remarks`` adds remark codes to a bare adjustment (a line or claim brings its own).
    ``appeal_deadline_days`` is the payer's dated parameter (Medicare: ``appeals.redetermination_days``,
    120 days under 42 CFR 405.942); it is copied onto appealable denials only.
    """
    knowledge = knowledge or shipped_knowledge()
    if isinstance(item, Adjustment):
        return _classify_adjustment(item, tuple(remarks), knowledge, appeal_deadline_days, paid_nothing=None)
    if isinstance(item, ServicePayment):
        line_remarks = tuple(dict.fromkeys((*item.remark_codes, *remarks)))
        return _main(_line_reasons(item, tuple(remarks), knowledge, appeal_deadline_days), line_remarks, knowledge)
    if item.is_reversal:
        return DenialReason(
            carc=None,
            rarcs=(),
            group=None,
            reason="The payer reversed an earlier payment for this claim (amounts are negated).",
            next_action=(
                "Reverse the earlier posting (match the payer claim control number); the corrected claim, "
                "if any, follows in this remittance or a later one."
            ),
            rules=(),
            is_denial=False,
        )
    reasons = classify_each(item, knowledge, remarks=remarks, appeal_deadline_days=appeal_deadline_days)
    from_lines = (r for line in item.service_lines for r in line.remark_codes)
    claim_remarks = tuple(dict.fromkeys((*item.remark_codes, *remarks, *from_lines)))
    main = _main(reasons, claim_remarks, knowledge)
    if item.is_denied and not main.is_denial:  # the payer's status code says denied, whatever the adjustments
        main = dataclasses.replace(main, is_denial=True, appeal_deadline_days=appeal_deadline_days)
        if not main.sources and main.carc is None:
            main = dataclasses.replace(
                main,
                reason="The payer denied the claim without an adjustment reason code.",
                next_action="Ask the payer for the reason (claim status inquiry) before correcting or appealing.",
            )
    return main


def classify_each(
    item: ServicePayment | ClaimPayment,
    knowledge: DenialKnowledge | None = None,
    *,
    remarks: Sequence[str] = (),
    appeal_deadline_days: int | None = None,
) -> list[DenialReason]:
    """One reason per adjustment of a line, or of a claim and all its lines."""
    knowledge = knowledge or shipped_knowledge()
    if isinstance(item, ServicePayment):
        return _line_reasons(item, tuple(remarks), knowledge, appeal_deadline_days)
    claim_remarks = (*item.remark_codes, *remarks)
    paid_nothing = item.paid == 0 and item.charge != 0
    reasons = [
        _classify_adjustment(a, claim_remarks, knowledge, appeal_deadline_days, paid_nothing=paid_nothing)
        for a in item.adjustments
    ]
    for line in item.service_lines:
        reasons.extend(_line_reasons(line, claim_remarks, knowledge, appeal_deadline_days))
    return reasons


def appeal_deadline(notice_date: date, deadline_days: int, presumed_receipt_days: int = 0) -> date:
    """The last day to file: from the notice's date, plus the presumed mailing time, plus the deadline.

    For Medicare pass ``appeals.receipt_presumed_days`` (5, 42 CFR 405.942(a)(1)) as the mailing time.
    """
    return notice_date + timedelta(days=presumed_receipt_days + deadline_days)


def _line_reasons(
    line: ServicePayment, extra: tuple[str, ...], knowledge: DenialKnowledge, deadline: int | None
) -> list[DenialReason]:
    remarks = tuple(dict.fromkeys((*line.remark_codes, *extra)))
    paid_nothing = line.paid == 0 and line.charge != 0
    return [_classify_adjustment(a, remarks, knowledge, deadline, paid_nothing=paid_nothing) for a in line.adjustments]


def _main(reasons: list[DenialReason], remarks: Sequence[str], knowledge: DenialKnowledge) -> DenialReason:
    """The reason that best explains a line or claim: a denial first, then the largest amount."""
    if reasons:
        return max(reasons, key=lambda r: (r.is_denial, abs(r.amount or 0)))
    matched = knowledge.matching(None, None, remarks)
    if matched:
        best = matched[0]
        return DenialReason(
            carc=None,
            rarcs=tuple(remarks),
            group=None,
            reason=best.reason,
            next_action=best.next_action,
            rules=_union(matched),
            is_denial=best.is_denial,
            sources=tuple(e.source for e in matched),
        )
    return DenialReason(
        carc=None,
        rarcs=tuple(remarks),
        group=None,
        reason="Paid with no adjustment.",
        next_action="Nothing to do.",
        rules=(),
        is_denial=False,
    )


def _classify_adjustment(
    adjustment: Adjustment,
    remarks: tuple[str, ...],
    knowledge: DenialKnowledge,
    deadline: int | None,
    *,
    paid_nothing: bool | None,
) -> DenialReason:
    matched = knowledge.matching(adjustment.reason, adjustment.group, remarks)
    if not matched:
        # No entry: say what the code is, and call it a denial only when nothing was paid and the
        # patient is not the one held liable.
        is_denial = bool(paid_nothing) and adjustment.group is not AdjustmentGroup.PATIENT
        return DenialReason(
            carc=adjustment.reason,
            rarcs=remarks,
            group=adjustment.group,
            reason=knowledge.codes.describe_carc(adjustment.reason),
            next_action=_NO_GUIDANCE if is_denial else "No action unless the amount looks wrong.",
            rules=(),
            is_denial=is_denial,
            appeal_deadline_days=deadline if is_denial else None,
            amount=adjustment.amount,
        )
    by_carc = next((e for e in matched if e.carc is not None), None)
    if by_carc is not None and not by_carc.remark_explains and not by_carc.is_denial:
        # A contractual write-off, sequestration or deductible stays what it is whatever remarks the
        # line carries: those remarks explain another adjustment.
        matched = [by_carc]
    best = matched[0]
    is_denial = by_carc.is_denial if by_carc is not None and not by_carc.remark_explains else best.is_denial
    appealable = all(e.appealable for e in matched)
    next_action = best.next_action
    if is_denial and not appealable and best.appealable:
        next_action += " No appeal rights here (see the remark codes): correct the claim and send it again."
    if is_denial and adjustment.group is AdjustmentGroup.PATIENT:
        next_action += _PATIENT_LIABLE
    return DenialReason(
        carc=adjustment.reason,
        rarcs=remarks,
        group=adjustment.group,
        reason=best.reason,
        next_action=next_action,
        rules=_union(matched),
        is_denial=is_denial,
        appeal_deadline_days=deadline if is_denial and appealable else None,
        amount=adjustment.amount,
        sources=tuple(e.source for e in matched),
    )


def _union(entries: Iterable[DenialEntry]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(rule for e in entries for rule in e.rules))
