"""Reads 277CA claim acknowledgments (005010X214): per claim, accepted or rejected and why.

The 277CA has the 277's shape, so the 277 reader does the work; here the guide must be X214, and each
claim's patient control number is its TRN02 (the 837's CLM01).
"""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.claim_status.x12_276_277.reader import read_277
from ptbill.claim_status.x12_277ca import GUIDE
from ptbill.domain.claim_status import ClaimStatusReport
from ptbill.x12.reader import Source


def read_277ca(source: Source) -> Iterator[ClaimStatusReport]:
    """Each 277CA transaction set of ``source``."""
    return read_277(source, (GUIDE,))
