"""Pure calculators from documented minutes to billable units."""

from ptbill.units.calculator import (
    Tie,
    TimedMinutes,
    UnitMethod,
    UnitResult,
    compute_units,
    compute_units_of,
    units_for_minutes,
)

__all__ = ["Tie", "TimedMinutes", "UnitMethod", "UnitResult", "compute_units", "compute_units_of", "units_for_minutes"]
