"""The Medicare therapy threshold: past the year's amount a therapy line carries KX, or GA with a signed ABN.

Sources: Social Security Act §1833(g)(7) as amended by the Bipartisan Budget Act of 2018 §50202 (the KX
threshold, parameter ``therapy.kx_threshold``); the ABN, form CMS-R-131, and modifier GA (Medicare Claims
Processing Manual, Pub. 100-04, ch.30 §50).
"""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.domain.finding import Severity
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule
from ptbill.rules.sources import THERAPY_SERVICES_URL, cite, cpm

SECTION = "Therapy threshold (KX) and ABN"
ABN_SOURCE = cpm(
    30, "50", "Form CMS-R-131, Advance Beneficiary Notice of Noncoverage: GA reports that a required ABN is on file"
)


def _modifiers(ctx: CheckContext, indexes: list[int]) -> set[str]:
    return {m for i in indexes for m in ctx.services[i].modifiers}


@rule(
    "MODIFIER_KX_MISSING",
    section=SECTION,
    per_visit=True,
    severity=Severity.ERROR,
    source=cite(
        "Social Security Act §1833(g)(7)(A), as added by the Bipartisan Budget Act of 2018 §50202: Medicare therapy "
        "above the year's KX threshold is paid only with KX (CMS Therapy Services)",
        THERAPY_SERVICES_URL,
    ),
    fix="Add KX to the therapy lines if the care is medically necessary and the note says why; otherwise "
    "give the patient an ABN before treatment and bill the lines with GA.",
)
def kx_missing(ctx: CheckContext) -> Iterator[Hit]:
    """This visit takes the year's therapy past the KX threshold and a therapy line has neither KX nor GA."""
    threshold = ctx.snapshot.resolved("therapy.kx_threshold")
    year = ctx.therapy_year_to_date
    if threshold is None or year is None:
        return
    visit, priced, billed = ctx.expected_visit_amount, ctx.priced_line_count, ctx.billed_line_count
    limit = threshold.decimal
    if year.amount + visit <= limit:
        return
    unpriced = "" if priced == billed else f" ({billed - priced} of its {billed} lines have no expected amount)"
    for group in ctx.groups:
        info = ctx.code_info(group.code)
        if info is None or not info.therapy or ctx.computed_units(group.code) == 0:
            continue
        present = _modifiers(ctx, group.service_indexes)
        if "KX" in present or "GA" in present:  # GA without an ABN is ABN_MISSING's finding
            continue
        if ctx.abn_covering(group.code) is not None:
            continue  # a signed ABN is on file: the planned line carries GA
        first = group.service_indexes[0]
        yield Hit(
            f"Therapy this year reaches ${year.amount + visit:,.2f} with this visit (${year.amount:,.2f} before it: "
            f"{year.explanation}; + ${visit:,.2f} expected for this visit{unpriced}), past the ${limit:,.0f} "
            f"threshold; {group.code} has neither KX nor GA.",
            first,
            f"services[{first}].modifiers",
            reference=f"{threshold.reference} (threshold for {threshold.effective.start.year}; "
            f"confidence: {threshold.confidence})",
        )


@rule(
    "ABN_MISSING",
    needs=("medicare",),
    section=SECTION,
    per_visit=True,
    severity=Severity.ERROR,
    source=ABN_SOURCE,
    fix="Record the ABN the patient signed before the visit (date, option 1, the services), or take GA off the "
    "line: without an ABN the clinic, not the patient, is liable (bill GZ, or KX when the care is necessary).",
)
def abn_missing(ctx: CheckContext) -> Iterator[Hit]:
    """A Medicare line carries GA but no ABN signed by the date of service, choosing to bill Medicare, lists it
    (the note's own ``abn`` or one of the patient's signed ABNs on file)."""
    if not ctx.is_medicare:
        return
    day = ctx.encounter.date_of_service
    for group in ctx.groups:
        if "GA" not in _modifiers(ctx, group.service_indexes):
            continue
        if ctx.abn_covering(group.code) is not None:
            continue
        first = group.service_indexes[0]
        listing = [abn for abn in ctx.all_abns if group.code in abn.services]
        abn = listing[-1] if listing else (ctx.all_abns[-1] if ctx.all_abns else None)
        if abn is None:
            why = "no ABN is recorded for the visit"
        elif abn.date_signed > day:
            why = f"the ABN was signed on {abn.date_signed}, after the visit"
        elif group.code not in abn.services:
            why = f"the ABN lists {', '.join(abn.services)}, not {group.code}"
        else:
            why = f"the patient chose option {abn.option.value} on the ABN, not option 1 (bill Medicare)"
        yield Hit(f"{group.code} carries GA but {why}.", first, f"services[{first}].modifiers")
