"""Expected payment per claim line: the Medicare PFS, payer fee schedules and Medicare localities.

Pure: standard library and ptbill.domain only. Every amount comes with the steps that produced it.

The fee schedules' and the localities' names are loaded when first asked for: checking a note needs them only when
the clinic has a fee schedule installed or the Medicare locality is not set (``ptbill check``'s start-up).
"""

from typing import TYPE_CHECKING, Any

from ptbill.pricing.medicare_pfs import (
    ASSISTANT_MODIFIERS,
    DAY_SLOT,
    DEFAULT_ORDER,
    NATIONAL_LOCALITY_KEY,
    AdjustmentOrder,
    LinePrice,
    Locality,
    MedicareFeeSchedule,
    NotPricedError,
    PfsYear,
    PriceBreakdown,
    PricingLine,
    Rate,
    RvuRow,
    price_visit,
    price_visit_slotted,
    round_cents,
    year_at,
)

if TYPE_CHECKING:
    from ptbill.pricing.fee_schedules import FeeSchedule, FeeScheduleRow, ScheduledAmount
    from ptbill.pricing.localities import (
        LocalityChoice,
        StateDefault,
        ZipLocalityRecord,
        ZipLocalityTable,
        load_state_defaults,
        locality_for,
    )

_LATER = {
    "FeeSchedule": "fee_schedules",
    "FeeScheduleRow": "fee_schedules",
    "ScheduledAmount": "fee_schedules",
    "LocalityChoice": "localities",
    "StateDefault": "localities",
    "ZipLocalityRecord": "localities",
    "ZipLocalityTable": "localities",
    "load_state_defaults": "localities",
    "locality_for": "localities",
}


def __getattr__(name: str) -> Any:
    """A fee schedule's or a locality's name, from its module, loaded now (``from ptbill.pricing import ...``)."""
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "ASSISTANT_MODIFIERS",
    "DAY_SLOT",
    "DEFAULT_ORDER",
    "NATIONAL_LOCALITY_KEY",
    "AdjustmentOrder",
    "FeeSchedule",
    "FeeScheduleRow",
    "LinePrice",
    "Locality",
    "LocalityChoice",
    "MedicareFeeSchedule",
    "NotPricedError",
    "PfsYear",
    "PriceBreakdown",
    "PricingLine",
    "Rate",
    "RvuRow",
    "ScheduledAmount",
    "StateDefault",
    "ZipLocalityRecord",
    "ZipLocalityTable",
    "load_state_defaults",
    "locality_for",
    "price_visit",
    "price_visit_slotted",
    "round_cents",
    "year_at",
]
