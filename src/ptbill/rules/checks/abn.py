"""The ABN (form CMS-R-131) and the liability modifiers it drives on Medicare lines.

- GA: a required ABN is on file (signed by the date of service, option 1, listing the code). A denial is
  then the patient's (group PR).
- GZ: the line is expected to be denied as not reasonable and necessary and no ABN is on file. A denial is
  the clinic's (group CO): the patient may not be billed.
- GY: the service is statutorily excluded or not a Medicare benefit; the patient pays and an ABN is voluntary.

Which codes are expected to be denied or excluded are dated, cited parameters of the Medicare layer
(``abn.expected_denial_codes``, ``abn.statutorily_excluded_codes``); 97012 given on a decompression table is
expected to be denied under NCD 160.16. GA with KX and GA without an ABN are ``MODIFIER_CONFLICT`` and
``ABN_MISSING``. Sources: Medicare Claims Processing Manual (Pub. 100-04) ch.30 §50; Noridian, "Modifier GA".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ptbill.domain.finding import Severity
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule
from ptbill.rules.sources import HCPCS_URL, cite, cpm

SECTION = "Therapy threshold (KX) and ABN"
LIABILITY_MODIFIERS = frozenset({"GA", "GX", "GY", "GZ"})
ABN_NOTICE = cpm(
    30,
    "50",
    "Form CMS-R-131, Advance Beneficiary Notice of Noncoverage: an ABN before care Medicare is "
    "expected to deny as not reasonable and necessary; GA with it, GZ without",
)


def liability_modifier(ctx: CheckContext, code: str, indexes: Sequence[int], present: Sequence[str]) -> str | None:
    """The modifier a Medicare line takes for its ABN standing, or None where the line already says or needs none.

    GY for a service that is not a Medicare benefit; GA where an ABN covers the code (and the line has no KX,
    which GA may not join); GZ where the code is expected to be denied and no ABN covers it.
    """
    if not ctx.is_medicare or not LIABILITY_MODIFIERS.isdisjoint(present):  # no set made a line
        return None
    if ctx.statutory_exclusion(code) is not None:
        return "GY"
    if ctx.abn_covering(code) is not None:
        return None if "KX" in present else "GA"
    if ctx.expected_denial(code, list(indexes)) is not None:
        return "GZ"
    return None


def _present(ctx: CheckContext, indexes: list[int]) -> set[str]:
    return {m for i in indexes for m in ctx.services[i].modifiers}


@rule(
    "ABN_EXPECTED_DENIAL",
    needs=("medicare",),
    section=SECTION,
    severity=Severity.WARNING,
    source=ABN_NOTICE,
    fix="Give an ABN before treatment or bill GZ: with the patient's signed ABN (option 1) on file the line is "
    "billed with GA and a denial is the patient's; without it the line goes out with GZ and the clinic carries "
    "the denial.",
)
def expected_denial(ctx: CheckContext) -> Iterator[Hit]:
    """Medicare is expected to deny a line as not reasonable and necessary and no ABN covers it."""
    for group in ctx.groups:
        found = ctx.expected_denial(group.code, group.service_indexes)
        if found is None or ctx.abn_covering(group.code) is not None:
            continue
        if "GZ" in _present(ctx, group.service_indexes):
            continue  # the clinic chose to bill GZ and carry the denial
        reason, reference = found
        first = group.service_indexes[0]
        yield Hit(
            f"Medicare is expected to deny {group.code}: {reason}. No signed ABN covers it: give an ABN before "
            "treatment or bill GZ (ptbill adds GZ to the line).",
            first,
            f"services[{first}].code",
            reference=reference,
        )


@rule(
    "ABN_STATUTORY_EXCLUSION",
    needs=("medicare",),
    section=SECTION,
    severity=Severity.INFO,
    source=cite(
        "Modifier GY, item or service statutorily excluded or not a Medicare benefit (CMS HCPCS Level II modifiers); "
        "the ABN is voluntary for it",
        HCPCS_URL,
    ),
    fix="Tell the patient before treatment that they pay for it (a voluntary ABN helps); the line is billed with GY "
    "so their other insurance sees Medicare's denial.",
)
def statutory_exclusion(ctx: CheckContext) -> Iterator[Hit]:
    """A Medicare line is not a Medicare benefit: it goes out with GY and the patient pays."""
    for group in ctx.groups:
        found = ctx.statutory_exclusion(group.code)
        if found is None:
            continue
        reason, reference = found
        first = group.service_indexes[0]
        yield Hit(
            f"{group.code} is not a Medicare benefit: {reason}. It is billed with GY; Medicare will deny it and "
            "the patient pays.",
            first,
            f"services[{first}].code",
            reference=reference,
        )
