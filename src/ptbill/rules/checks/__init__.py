"""Every check module; importing this package registers all checks."""

from ptbill.rules.checks import (
    abn,
    claim,
    claim_text,
    codes,
    coverage,
    diagnoses,
    eligibility,
    modifiers,
    note_blanks,
    note_types,
    payer,
    plan_lifecycle,
    providers,
    signatures,
    threshold,
    traction,
)

__all__ = [
    "abn",
    "claim",
    "claim_text",
    "codes",
    "coverage",
    "diagnoses",
    "eligibility",
    "modifiers",
    "note_blanks",
    "note_types",
    "payer",
    "plan_lifecycle",
    "providers",
    "signatures",
    "threshold",
    "traction",
]
