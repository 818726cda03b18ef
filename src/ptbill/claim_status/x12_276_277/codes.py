"""Claim status codes in our own short words. Code values: the X12 external code lists 507 (claim status
category) and 508 (claim status), and entity identifier codes (element 98), as X212/X214 use them."""

from __future__ import annotations

from ptbill.domain.coded import Coded

CATEGORIES = {  # STC01-1
    "A0": "forwarded to another entity",
    "A1": "received, not yet accepted for processing",
    "A2": "accepted into the adjudication system",
    "A3": "returned as unprocessable: rejected, not entered",
    "A4": "not found in the adjudication system",
    "A5": "split upon acceptance",
    "A6": "rejected for missing information",
    "A7": "rejected for invalid information",
    "A8": "rejected for a relational field in error",
    "D0": "data search unsuccessful",
    "E0": "response not possible: error on the submitted request",
    "E1": "response not possible: system down",
    "E2": "information holder not responding, resubmit later",
    "E3": "correction required: relational fields in error",
    "E4": "trading partner agreement specific requirement not met",
    "F0": "finalized: adjudication complete",
    "F1": "finalized: paid",
    "F2": "finalized: denied",
    "F3": "finalized: revised",
    "F3F": "finalized: forwarded to the next payer",
    "F3N": "finalized: not forwarded",
    "F4": "finalized: adjudication complete, no payment forthcoming",
    "P0": "pending: adjudication details",
    "P1": "pending: in process",
    "P2": "pending: payer review",
    "P3": "pending: information requested from the provider",
    "P4": "pending: information requested from the patient",
    "P5": "pending: payer administrative or system hold",
    "R0": "requests for additional information: general",
    "R1": "requests for additional information: entity requests",
    "R3": "requests for additional information: claim or line",
    "R4": "requests for additional information: documentation",
    "R5": "requests for additional information: more specific detail",
}

STATUS_CODES = {  # STC01-2, only the common ones; the rest are shown as codes
    "1": "see the remittance advice for details",
    "3": "adjudicated, awaiting the payment cycle",
    "19": "receipt of the claim acknowledged",
    "20": "accepted for processing",
    "21": "missing or invalid information",
    "33": "subscriber and subscriber id not found",
    "65": "claim or line has been paid",
    "164": "the entity's contract or member number",
    "187": "the dates of service",
    "254": "the principal diagnosis code",
    "255": "a diagnosis code",
    "453": "the procedure code's modifiers",
    "454": "the procedure code",
    "562": "the entity's NPI",
}

ENTITIES = {  # STC01-3
    "1P": "provider",
    "40": "receiver",
    "41": "submitter",
    "77": "service location",
    "82": "rendering provider",
    "85": "billing provider",
    "87": "pay-to provider",
    "DK": "ordering provider",
    "DN": "referring provider",
    "IL": "subscriber",
    "PR": "payer",
    "QC": "patient",
}


def category(code: str) -> Coded:
    return Coded(code, CATEGORIES.get(code, "category not known to ptbill" if code else ""))


def status_code(code: str) -> Coded | None:
    return Coded(code, STATUS_CODES.get(code, "")) if code else None


def entity(code: str) -> Coded | None:
    return Coded(code, ENTITIES.get(code, "")) if code else None
