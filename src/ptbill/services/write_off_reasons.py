"""The reasons a clinic writes off part of a claim (``services.write_offs``), in the words the pages show.

Apart from ``write_offs`` so the patient ledger can name them without importing the service that asks it.
"""

from __future__ import annotations

REASONS = {
    "small_balance": "Small balance",
    "timely_filing": "Timely filing (not billable to the patient)",
    "not_medically_necessary": "Not medically necessary, no ABN on file",
    "contractual": "Contractual adjustment",
    "bad_debt": "Bad debt (patient will not pay)",
    "other": "Other (say why)",
}
