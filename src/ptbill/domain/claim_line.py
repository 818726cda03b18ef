"""A planned claim line: what the engine says should be billed for one code on the date of service."""

from __future__ import annotations

from decimal import Decimal

from ptbill.domain.values import value

# Diagnosis pointers one claim line can carry: SV107 of the 837P, item 24E of the CMS-1500.
MAX_DIAGNOSIS_POINTERS = 4


@value  # frozen to mypy, a plain slots dataclass when made (``domain.values``)
class ClaimLine:
    code: str
    modifiers: tuple[str, ...]
    units: int
    diagnosis_pointers: tuple[int, ...]
    service_indexes: tuple[int, ...]  # the encounter's services this line bills
    expected_payment: Decimal | None = None
    payment_basis: str | None = None  # how expected_payment was computed, in words
    payment_method: str | None = None  # its short name: "2025 RVUs", "2025 RVUs at the 2026 CF, estimate" ...
    payment_is_estimate: bool = False  # priced with another year's RVUs

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "code": self.code,
            "modifiers": list(self.modifiers),
            "units": self.units,
            "diagnosis_pointers": list(self.diagnosis_pointers),
        }
        if self.expected_payment is not None:
            data["expected_payment"] = float(self.expected_payment)
            data["payment_basis"] = self.payment_basis
            data["payment_is_estimate"] = self.payment_is_estimate
        return data
