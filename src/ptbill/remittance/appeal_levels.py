"""Which appeal a denied line is at, what it is called for its payer, and the last day to file it.

Medicare Part B (42 CFR 405 subpart I; Medicare Claims Processing Manual, Pub. 100-04, ch.29,
https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c29.pdf):

- level 1, a **redetermination** by the MAC: within 120 days of receiving the initial determination (the
  remittance), form CMS-20027 (42 CFR 405.942; ch.29 §310);
- level 2, a **reconsideration** by a Qualified Independent Contractor (QIC): within 180 days of receiving
  the redetermination, form CMS-20033 (42 CFR 405.962; ch.29 §320).

A notice is presumed received 5 days after its date (``appeals.receipt_presumed_days``). Every other payer
takes its deadline from the dated parameter ``appeals.payer_appeal_days``; ptbill's baseline value is an
assumption (the contract governs), and the deadline says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ptbill.domain.vocabulary import PayerType
from ptbill.reference.catalog import Snapshot

MEDICARE_LEVELS = {
    1: (
        "redetermination",
        "the Medicare Administrative Contractor (MAC)",
        "CMS-20027",
        "42 CFR 405.942; MCPM ch.29 §310",
    ),
    2: ("reconsideration", "a Qualified Independent Contractor (QIC)", "CMS-20033", "42 CFR 405.962; MCPM ch.29 §320"),
}
MAX_LEVEL = 2  # ptbill prepares the first two levels; an ALJ hearing (level 3) is filed with OMHA


@dataclass(frozen=True, slots=True)
class AppealLevel:
    """The appeal to file next (or the one filed, while it waits for a decision) and its deadline."""

    level: int  # 1 or 2
    name: str  # "redetermination", "reconsideration", "first-level appeal" ...
    decided_by: str
    form: str | None  # the CMS form, for Medicare
    source: str  # where the level and its deadline come from
    deadline: date | None  # None when the clock's start is not known, or no deadline parameter is in force
    days: int | None
    counted_from: str  # "the remittance of 2026-03-20" / "the decision of ..."
    assumed: bool  # the deadline is ptbill's default, not the payer's own: check the contract
    receipt_days: int = 0  # the notice is presumed received this many days after its date (Medicare)


def filing_level(appeal_level: int) -> int:
    """The level a packet is for: the first until an appeal was filed, then the one on file."""
    return max(1, min(appeal_level, MAX_LEVEL))


def appeal_level(
    snapshot: Snapshot,
    payer_type: PayerType | None,
    level: int,
    remittance_date: date | None,
    decision_date: date | None,
) -> AppealLevel:
    """The appeal at ``level`` for this payer, with its deadline from the remittance (level 1) or from the
    previous level's decision (level 2)."""
    level = filing_level(level)
    start = remittance_date if level == 1 else (decision_date or None)
    counted = (
        f"the remittance dated {start:%m/%d/%Y}"
        if level == 1 and start
        else (f"the decision dated {start:%m/%d/%Y}" if start else "an unknown date")
    )
    if payer_type is PayerType.MEDICARE:
        name, who, form, source = MEDICARE_LEVELS[level]
        parameter = "appeals.redetermination_days" if level == 1 else "appeals.reconsideration_days"
        resolved = snapshot.resolved(parameter)
        days = resolved.integer if resolved else None
        receipt_value = snapshot.resolved("appeals.receipt_presumed_days")
        receipt = receipt_value.integer if receipt_value else 0
        deadline = start + timedelta(days=receipt + days) if start and days is not None else None
        return AppealLevel(level, name, who, form, source, deadline, days, counted, False, receipt)
    resolved = snapshot.resolved("appeals.payer_appeal_days")
    days = resolved.integer if resolved else None
    assumed = resolved is None or resolved.confidence == "assumed"
    source = resolved.reference if resolved else "no appeal deadline on file for this payer and date"
    name = "first-level appeal" if level == 1 else "second-level appeal"
    deadline = start + timedelta(days=days) if start and days is not None else None
    return AppealLevel(level, name, "the payer's appeals department", None, source, deadline, days, counted, assumed)
