"""The payer of the coverage must be one the catalog knows, or no payer rule can apply."""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.domain.finding import Severity
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule

SECTION = "Coverage, authorization, plan of care"


@rule(
    "PAYER_UNKNOWN",
    section=SECTION,
    severity=Severity.ERROR,
    source="ptbill payer catalog (spec/encounter-format.md, 'The payer catalog')",
    fix="Use a payer id from `ptbill payers list`, or add the payer to the catalog.",
)
def payer_unknown(ctx: CheckContext) -> Iterator[Hit]:
    """The coverage names a payer that is not in the catalog (checked against generic commercial rules)."""
    if not ctx.payer_known:
        yield Hit(
            f"Payer {ctx.encounter.coverage.payer!r} is not in the payer catalog; the note was checked "
            "against the generic commercial rules.",
            None,
            "coverage.payer",
        )
