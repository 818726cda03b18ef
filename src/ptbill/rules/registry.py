"""The registry of checks: each a small pure function with a stable id, dates, a source and a fix.

Ids are a fixed contract and never change meaning (docs/rules.md). The registry rejects a second rule
with the same id whose dates overlap an existing one, at import time.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ptbill.domain.dates import DateRange
from ptbill.domain.encounter import Credential, Discipline, discipline_of
from ptbill.domain.finding import Severity
from ptbill.domain.note_content import NoteType
from ptbill.domain.values import value

if TYPE_CHECKING:
    from ptbill.rules.context import CheckContext


@value  # frozen to mypy, a plain slots dataclass when made (``domain.values``)
class Hit:
    """What a check reports; the engine adds the rule's id, severity, fix and source."""

    message: str
    service: int | None = None
    field: str | None = None
    reference: str | None = None  # when a payer parameter, not the rule's own source, is the basis
    fix: str | None = None  # when the fix depends on the case (e.g. which code to bill instead)
    severity: Severity | None = None  # a rule whose severity rises with the facts (past a deadline)
    services: tuple[int, ...] = ()  # every line one problem touches, when it is more than ``service``
    detail: str | None = None  # for the biller only: a claim segment, a table, a command


def lines_hit(
    message: str,
    indexes: Sequence[int],
    field: str,
    *,
    reference: str | None = None,
    fix: str | None = None,
    severity: Severity | None = None,
) -> Hit:
    """One hit for a problem several lines share: placed at the first line, naming them all.

    ``field`` is the field's name under the service (``modifiers``), so the form shows it there.
    """
    first = indexes[0]
    return Hit(
        message,
        first,
        f"services[{first}].{field}",
        reference=reference,
        fix=fix,
        severity=severity,
        services=tuple(indexes) if len(indexes) > 1 else (),
    )


def in_words(items: Sequence[str]) -> str:
    """'97012', '97012 and 97110', '97012, 97110 and 97140'."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


CheckFunction = Callable[["CheckContext"], Iterable[Hit]]


def _furnished_under(discipline: Discipline) -> Callable[[CheckContext], bool]:
    """The fact that the rendering provider's credential furnishes care under ``discipline``'s plan."""
    return lambda ctx: discipline_of(ctx.encounter.rendering_provider.credential) is discipline


# What a note (with what the app knows beside it) has or is, each told by a cheap test of the context. A rule
# declares the facts it ``needs``: a check that can report nothing unless each of them holds (its own first
# lines return early otherwise). The engine runs, per note, only the rules whose facts all hold (its rule plan
# per snapshot and note shape); tests/unit/rules/test_rule_plan_shapes.py and every rule case run notes both ways.
FACTS: dict[str, Callable[[CheckContext], bool]] = {
    "today": lambda ctx: ctx.today is not None,  # the caller's clock is known
    "same_day": lambda ctx: bool(ctx.same_day),  # the patient's other notes of the day are on file
    "authorization": lambda ctx: ctx.encounter.coverage.authorization is not None,
    "plan_of_care": lambda ctx: ctx.encounter.plan_of_care is not None,
    "eligibility": lambda ctx: ctx.eligibility is not None,  # an eligibility record of the coverage on file
    "signatures": lambda ctx: ctx.signatures is not None,
    "certified_plan": lambda ctx: ctx.certified_plan is not None,
    "assistant": lambda ctx: ctx.encounter.furnished_by_assistant,
    "pta": lambda ctx: ctx.encounter.rendering_provider.credential is Credential.PTA,
    "ota": lambda ctx: ctx.encounter.rendering_provider.credential is Credential.OTA,
    # The plan of care the rendering provider's credential furnishes under (``discipline_of``): GP, GO or GN.
    "pt_discipline": _furnished_under(Discipline.PHYSICAL_THERAPY),
    "ot_discipline": _furnished_under(Discipline.OCCUPATIONAL_THERAPY),
    "slp_discipline": _furnished_under(Discipline.SPEECH_LANGUAGE_PATHOLOGY),
    "medicare": lambda ctx: ctx.is_medicare,
    "payer_unknown": lambda ctx: not ctx.payer_known,
    "icd10": lambda ctx: ctx.icd10 is not None,  # a code set to check the diagnoses against
    "icd10_inexact": lambda ctx: ctx.icd10 is not None and not ctx.icd10_exact,
    "traction": lambda ctx: bool(ctx.traction_services),
    "ncci_pairs": lambda ctx: bool(ctx.ncci_pairs),  # a code pair of the visit has a PTP edit in force
    "modifiers": lambda ctx: any(service.modifiers for service in ctx.services),
    "daily_note": lambda ctx: ctx.encounter.note_type is NoteType.DAILY_NOTE,
    "not_daily_note": lambda ctx: ctx.encounter.note_type is not NoteType.DAILY_NOTE,
    "evaluation": lambda ctx: ctx.encounter.note_type.is_evaluation,
    "progress_report": lambda ctx: ctx.encounter.note_type is NoteType.PROGRESS_REPORT,
    "discharge_summary": lambda ctx: ctx.encounter.note_type is NoteType.DISCHARGE_SUMMARY,
    "progress_or_re_evaluation": lambda ctx: (
        ctx.encounter.note_type in (NoteType.PROGRESS_REPORT, NoteType.RE_EVALUATION)
    ),
    "progress_or_discharge": lambda ctx: (
        ctx.encounter.note_type in (NoteType.PROGRESS_REPORT, NoteType.DISCHARGE_SUMMARY)
    ),
    "plan_writer": lambda ctx: (
        ctx.encounter.note_type in (NoteType.INITIAL_EVALUATION, NoteType.RE_EVALUATION, NoteType.PROGRESS_REPORT)
    ),
    "not_discharge_summary": lambda ctx: ctx.encounter.note_type is not NoteType.DISCHARGE_SUMMARY,
}
# The facts above that read nothing but the note's type: ``note_shape`` tests them once per note type.
NOTE_TYPE_FACTS = frozenset(
    {
        "daily_note",
        "not_daily_note",
        "evaluation",
        "progress_report",
        "discharge_summary",
        "progress_or_re_evaluation",
        "progress_or_discharge",
        "plan_writer",
        "not_discharge_summary",
    }
)
# The facts above that read nothing but the rendering provider's credential: tested once per credential.
CREDENTIAL_FACTS = frozenset({"assistant", "pta", "ota", "pt_discipline", "ot_discipline", "slp_discipline"})
_FACT_BITS = {name: 1 << position for position, name in enumerate(FACTS)}
EVERY_FACT = (1 << len(FACTS)) - 1  # the shape under which every rule runs (the differential tests' reference)
_FACT_TESTS = tuple(
    (_FACT_BITS[name], test)
    for name, test in FACTS.items()
    if name not in NOTE_TYPE_FACTS and name not in CREDENTIAL_FACTS
)
_NOTE_TYPE_TESTS = tuple((_FACT_BITS[name], test) for name, test in FACTS.items() if name in NOTE_TYPE_FACTS)
_NOTE_TYPE_BITS: dict[NoteType, int] = {}  # per note type (a closed set), the bits of NOTE_TYPE_FACTS that hold
_CREDENTIAL_TESTS = tuple((_FACT_BITS[name], test) for name, test in FACTS.items() if name in CREDENTIAL_FACTS)
_CREDENTIAL_BITS: dict[Credential, int] = {}  # per credential (a closed set), the bits of CREDENTIAL_FACTS that hold


def note_shape(ctx: CheckContext) -> int:
    """The facts that hold for this note, one bit each (``FACTS``' order)."""
    encounter = ctx.encounter
    note_type = encounter.note_type
    shape = _NOTE_TYPE_BITS.get(note_type)
    if shape is None:
        shape = _NOTE_TYPE_BITS[note_type] = sum(bit for bit, test in _NOTE_TYPE_TESTS if test(ctx))
    credential = encounter.rendering_provider.credential
    by_credential = _CREDENTIAL_BITS.get(credential)
    if by_credential is None:
        by_credential = _CREDENTIAL_BITS[credential] = sum(bit for bit, test in _CREDENTIAL_TESTS if test(ctx))
    shape |= by_credential
    for bit, test in _FACT_TESTS:
        if test(ctx):
            shape |= bit
    return shape


def facts_mask(needs: Iterable[str]) -> int:
    mask = 0
    for name in needs:
        if name not in _FACT_BITS:
            raise ValueError(f"unknown fact {name!r}: one of {', '.join(FACTS)}")
        mask |= _FACT_BITS[name]
    return mask


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    section: str
    title: str
    severity: Severity
    source: str
    fix: str
    effective: DateRange
    check: CheckFunction
    per_visit: bool = False  # the problem is the visit's: the engine reports its hits as one finding
    needs: int = 0  # the facts (``FACTS``, one bit each) without which the check reports nothing
    rises: bool = False  # its hits may carry their own severity (an error past a deadline): see ``rule``

    def can_fire(self, shape: int) -> bool:
        """Whether the check may report anything on a note of this shape (``note_shape``)."""
        return self.needs & shape == self.needs

    @property
    def function_name(self) -> str:
        return self.check.__name__


_RULES: dict[str, list[Rule]] = {}

FROM_THE_START = DateRange(date(2000, 1, 1))


def rule(
    rule_id: str,
    *,
    section: str,
    severity: Severity,
    source: str,
    fix: str,
    effective: DateRange = FROM_THE_START,
    per_visit: bool = False,
    needs: tuple[str, ...] = (),
    rises: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check. Its docstring's first line is the rule in plain words.

    ``per_visit`` marks a check that yields one hit a line for a problem of the whole visit (a
    threshold the visit passes, a provider's missing modifier): the engine merges them into one finding.
    ``needs`` names the facts (``FACTS``) without which the check can report nothing: the engine skips it on
    notes that lack one. Declare only what the check's own first lines return on.
    ``rises`` marks a check whose hits may set their own severity (``Hit.severity``): the claim path, which runs
    only the checks that can block a claim, runs it whatever its usual severity (a test holds every check that
    sets one to this).
    """
    mask = facts_mask(needs)

    def register(check: CheckFunction) -> CheckFunction:
        title = (check.__doc__ or "").strip().splitlines()[0] if check.__doc__ else ""
        if not title:
            raise ValueError(f"rule {rule_id}: the check needs a docstring stating the rule in plain words")
        new = Rule(rule_id, section, title, severity, source, fix, effective, check, per_visit, mask, rises)
        for existing in _RULES.get(rule_id, []):
            if existing.effective.overlaps(effective):
                raise ValueError(
                    f"rule {rule_id} is registered twice for overlapping dates ({existing.effective} and {effective})"
                )
        _RULES.setdefault(rule_id, []).append(new)
        rules_in_force.cache_clear()
        _change_days.cache_clear()
        return check

    return register


def all_rules() -> list[Rule]:
    return [r for versions in _RULES.values() for r in versions]


@functools.lru_cache(maxsize=4096)
def rules_in_force(day: date) -> tuple[Rule, ...]:
    """The rules in force on a day (registering a rule clears what was remembered)."""
    return tuple(r for r in all_rules() if r.effective.contains(day))


@functools.cache
def _change_days() -> tuple[date, ...]:
    bounds = {d for r in all_rules() for d in (r.effective.start, r.effective.end) if d is not None}
    return tuple(sorted(bounds))


def rules_period(day: date) -> int:
    """Which period between the days a rule starts or ends holds ``day``: days of one period have the same
    rules in force (the engine keys its compiled rule plan by it)."""
    return bisect.bisect_right(_change_days(), day)


def rule_by_id(rule_id: str) -> list[Rule]:
    return list(_RULES.get(rule_id, []))
