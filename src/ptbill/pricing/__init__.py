"""Expected payment per claim line: the Medicare PFS, payer fee schedules and Medicare localities.

Pure: standard library and ptbill.domain only. Every amount comes with the steps that produced it.
"""

from ptbill.pricing.fee_schedules import FeeSchedule, FeeScheduleRow, ScheduledAmount
from ptbill.pricing.localities import (
    LocalityChoice,
    StateDefault,
    ZipLocalityRecord,
    ZipLocalityTable,
    load_state_defaults,
    locality_for,
)
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
