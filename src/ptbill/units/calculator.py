"""Minutes → billable units for one visit: CMS's pooled 8-minute rule and the per-code (AMA) method.

CMS: Medicare Claims Processing Manual (Pub. 100-04) ch.5 §20.2; the assignment of units to codes is
our reading of its text and worked examples, checked against the manual's Examples 1-5.
Untimed codes get 1 unit and add nothing to the timed minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ptbill.domain.values import value


class UnitMethod(StrEnum):
    CMS = "cms"
    PER_CODE = "per_code"


MINUTES_PER_UNIT = 15
# A unit is earned once more than half of 15 minutes is reached: 8 minutes (ch.5 §20.2 C table).
MINIMUM_MINUTES = 8


@dataclass(frozen=True, slots=True)
class TimedMinutes:
    """Minutes of one code in the visit; codes given twice are added together first."""

    code: str
    minutes: int
    timed: bool


@dataclass(frozen=True, slots=True)
class Tie:
    """Codes that had equal claim to the same unit; ``chosen`` got it (the clinician may pick another)."""

    codes: tuple[str, ...]
    chosen: str
    leftover_minutes: int


@value  # frozen to mypy, a plain slots dataclass when made (``domain.values``)
class UnitResult:
    method: UnitMethod
    total_timed_minutes: int
    units: dict[str, int]
    ties: tuple[Tie, ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        return {"method": self.method.value, "total_timed_minutes": self.total_timed_minutes, "units": self.units}


def units_for_minutes(minutes: int) -> int:
    """Units for a block of timed minutes: 8-22 → 1, 23-37 → 2, 38-52 → 3 ...

    >>> [units_for_minutes(m) for m in (7, 8, 22, 23, 37, 38, 52, 53)]
    [0, 1, 1, 2, 2, 3, 3, 4]
    """
    if minutes < MINIMUM_MINUTES:
        return 0
    return (minutes + MINUTES_PER_UNIT - MINIMUM_MINUTES) // MINUTES_PER_UNIT


def compute_units(services: Iterable[TimedMinutes], method: UnitMethod) -> UnitResult:
    """Units per code for one date of service, in the order the codes first appear."""
    return compute_units_of(((s.code, s.minutes, s.timed) for s in services), method)


def compute_units_of(services: Iterable[tuple[str, int, bool]], method: UnitMethod) -> UnitResult:
    """``compute_units`` for plain (code, minutes, timed) triples: the engine's path, without a
    ``TimedMinutes`` per service."""
    minutes: dict[str, int] = {}
    timed: dict[str, bool] = {}
    for code, m, is_timed in services:
        if m < 0:
            raise ValueError(f"{code}: minutes cannot be negative ({m})")
        if code in minutes:  # a code given twice: its minutes added together, timed if either says so
            minutes[code] += m
            timed[code] = timed[code] or is_timed
        else:
            minutes[code] = m
            timed[code] = is_timed
    timed_minutes = {code: m for code, m in minutes.items() if timed[code]}
    total = sum(timed_minutes.values())
    if method is UnitMethod.PER_CODE:
        timed_units = {code: units_for_minutes(m) for code, m in timed_minutes.items()}
        ties: tuple[Tie, ...] = ()
    else:
        timed_units, ties = _cms_assign(timed_minutes, units_for_minutes(total))
    units = {code: (timed_units[code] if timed[code] else 1) for code in minutes}
    return UnitResult(method, total, units, ties)


def _cms_assign(minutes: Mapping[str, int], total_units: int) -> tuple[dict[str, int], tuple[Tie, ...]]:
    # Each code first gets its full 15-minute units; remaining units go one at a time to the codes
    # with the most leftover minutes (ch.5 §20.2 Example 3). The sum of full units never exceeds
    # the pooled total, so the pool bounds the result (Example 4).
    units = {code: m // MINUTES_PER_UNIT for code, m in minutes.items()}
    remaining = total_units - sum(units.values())
    if remaining <= 0:  # no unit left over for the leftover minutes: nothing to assign, no tie
        return units, ()
    # Deterministic order: most leftover minutes, then most total minutes, then first documented (the position
    # breaks every tie, so the codes themselves are never compared).
    ranked = sorted(
        [(-(m % MINUTES_PER_UNIT), -m, position, code) for position, (code, m) in enumerate(minutes.items())]
    )
    candidates = [entry[3] for entry in ranked]
    winners = candidates[:remaining]
    # No tie when every code gets one more unit, or when the first code to go without has fewer leftover minutes
    # than the last to get one (the codes of a winner's leftover are then all winners, as they rank together).
    if len(winners) == len(candidates) or ranked[remaining - 1][0] != ranked[remaining][0]:
        for chosen in winners:
            units[chosen] += 1
        return units, ()
    ties: list[Tie] = []
    for chosen in winners:
        units[chosen] += 1
        leftover = minutes[chosen] % MINUTES_PER_UNIT
        if any(t.leftover_minutes == leftover for t in ties):
            continue  # one tie per leftover
        rivals = tuple(c for c in candidates if minutes[c] % MINUTES_PER_UNIT == leftover)
        # A tie matters only when a rival with the same leftover goes without a unit.
        if any(c not in winners for c in rivals):
            ties.append(Tie(rivals, chosen, leftover))
    return units, tuple(ties)
