"""Every check module; importing this package registers all checks."""

from ptbill.rules.checks import claim, codes, coverage, diagnoses, modifiers, payer, providers, traction

__all__ = ["claim", "codes", "coverage", "diagnoses", "modifiers", "payer", "providers", "traction"]
