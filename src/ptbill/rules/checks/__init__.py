"""Every check module; importing this package registers all checks."""

from ptbill.rules.checks import (
    claim,
    claim_text,
    codes,
    coverage,
    diagnoses,
    modifiers,
    payer,
    providers,
    threshold,
    traction,
)

__all__ = [
    "claim",
    "claim_text",
    "codes",
    "coverage",
    "diagnoses",
    "modifiers",
    "payer",
    "providers",
    "threshold",
    "traction",
]
