"""The 999's codes in our own short words. Code values: the X12 005010 data element dictionary
(elements 715, 716, 717, 718, 620 and 621) as the 005010X231A1 guide uses them."""

from __future__ import annotations

from ptbill.domain.acknowledgment import AckVerdict
from ptbill.domain.coded import Coded

VERDICTS = {
    "A": AckVerdict.ACCEPTED,
    "E": AckVerdict.ACCEPTED_WITH_ERRORS,
    "P": AckVerdict.PARTIALLY_ACCEPTED,
    "R": AckVerdict.REJECTED,
    "M": AckVerdict.REJECTED,
    "W": AckVerdict.REJECTED,
    "X": AckVerdict.REJECTED,
}

ACKNOWLEDGMENT = {  # IK501, AK901
    "A": "accepted",
    "E": "accepted, but errors were noted",
    "P": "partially accepted: at least one transaction set was rejected",
    "R": "rejected",
    "M": "rejected: message authentication failed",
    "W": "rejected: failed validity tests",
    "X": "rejected: content could not be analyzed after decryption",
}

TRANSACTION_SET_ERRORS = {  # IK502..IK506
    "1": "transaction set not supported",
    "2": "transaction set trailer (SE) missing",
    "3": "ST and SE control numbers differ",
    "4": "SE segment count is wrong",
    "5": "one or more segments in error",
    "6": "transaction set id missing or invalid",
    "7": "transaction set control number missing or invalid",
    "18": "transaction set not in a functional group",
    "19": "implementation convention reference invalid",
    "23": "control number not unique within the group",
    "I5": "one or more segments break the implementation guide",
    "I6": "implementation convention not supported",
}

GROUP_ERRORS = {  # AK905..AK909
    "1": "functional group not supported",
    "2": "version not supported",
    "3": "group trailer (GE) missing",
    "4": "GS and GE control numbers differ",
    "5": "GE count of transaction sets is wrong",
    "6": "group control number is malformed",
    "19": "group control number not unique within the interchange",
}

SEGMENT_ERRORS = {  # IK304
    "1": "unrecognized segment id",
    "2": "unexpected segment",
    "3": "required segment missing",
    "4": "loop occurs more often than allowed",
    "5": "segment used more often than allowed",
    "6": "segment not in this transaction set",
    "7": "segment out of order",
    "8": "segment has element errors",
    "I4": "segment the guide does not use is present",
    "I6": "segment the guide requires in this situation is missing",
    "I7": "loop occurs fewer times than required",
    "I8": "segment used fewer times than required",
    "I9": "segment the guide does not use in this situation is present",
}

ELEMENT_ERRORS = {  # IK403
    "1": "required element missing",
    "2": "conditionally required element missing",
    "3": "too many elements",
    "4": "value too short",
    "5": "value too long",
    "6": "invalid character",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "element present although another excludes it",
    "12": "too many repetitions",
    "13": "too many components",
    "I6": "code value the guide does not use",
    "I9": "element the guide requires in this situation is missing",
    "I10": "element the guide does not use is present",
    "I11": "too few repetitions",
    "I12": "value does not match the required pattern",
    "I13": "element the guide does not use in this situation is present",
}


def coded(table: dict[str, str], code: str) -> Coded:
    return Coded(code, table.get(code, "code not known to ptbill" if code else ""))
