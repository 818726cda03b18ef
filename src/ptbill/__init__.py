"""ptbill: documentation checks, claims and remittance for physical-therapy clinics."""

__version__ = "0.1.0"
