"""The transaction type an incoming file's envelope names, read from ST01 and GS08 without reading the rest:
999, 277CA (a 277 whose GS08 names the X214 guide), 277 (X212), 271 and 835. Anything else is ``UNKNOWN``."""

from __future__ import annotations

from ptbill.x12.errors import X12Error
from ptbill.x12.reader import read_lenient

ACK_999, CLAIM_ACK_277CA, STATUS_277, ELIGIBILITY_271, REMITTANCE_835 = "999", "277CA", "277", "271", "835"
UNKNOWN = "unknown"
KINDS = (ACK_999, CLAIM_ACK_277CA, STATUS_277, ELIGIBILITY_271, REMITTANCE_835)
_LOOKED_AT = 12  # ISA, GS and ST come first; a file whose ST is not among its first segments is not one of ours


def transaction_kind(data: bytes) -> str:
    """The kind of the file's first transaction set, by its envelope (ISA/GS/ST)."""
    version = ""
    try:
        for number, elements in enumerate(read_lenient(data)):
            if number >= _LOOKED_AT:
                break
            if elements[0] == "GS" and len(elements) > 8:
                version = elements[8]
            elif elements[0] == "ST" and len(elements) > 1:
                return _kind(elements[1].strip(), version or (elements[3] if len(elements) > 3 else ""))
    except (X12Error, ValueError):
        return UNKNOWN
    return UNKNOWN


def _kind(code: str, version: str) -> str:
    if code == "277":
        return CLAIM_ACK_277CA if "X214" in version else STATUS_277
    return code if code in KINDS else UNKNOWN
