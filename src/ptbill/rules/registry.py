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
from ptbill.domain.finding import Severity

if TYPE_CHECKING:
    from ptbill.rules.context import CheckContext


@dataclass(frozen=True, slots=True)
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
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check. Its docstring's first line is the rule in plain words.

    ``per_visit`` marks a check that yields one hit a line for a problem of the whole visit (a
    threshold the visit passes, a provider's missing modifier): the engine merges them into one finding.
    """

    def register(check: CheckFunction) -> CheckFunction:
        title = (check.__doc__ or "").strip().splitlines()[0] if check.__doc__ else ""
        if not title:
            raise ValueError(f"rule {rule_id}: the check needs a docstring stating the rule in plain words")
        new = Rule(rule_id, section, title, severity, source, fix, effective, check, per_visit)
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
