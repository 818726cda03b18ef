"""Every check module; importing this package registers all checks."""

from ptbill.rules.checks import codes, coverage, diagnoses, modifiers, payer, providers, threshold, traction

__all__ = ["codes", "coverage", "diagnoses", "modifiers", "payer", "providers", "threshold", "traction"]
