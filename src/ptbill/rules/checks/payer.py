"""The payer of the coverage must be one the catalog knows, and the clinic's settings for it must be
readable, or the payer's rules cannot apply as the clinic meant."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ptbill.domain.finding import Severity
from ptbill.reference.catalog import RefusedValue
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule

SECTION = "Coverage, authorization, plan of care"


@rule(
    "PAYER_UNKNOWN",
    needs=("payer_unknown",),
    section=SECTION,
    severity=Severity.ERROR,
    source="the clinic's payer list (the Payers page): each payer's rules come from its own policy and contract",
    fix="Choose the payer from the clinic's payer list, or ask the administrator to add it.",
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


@rule(
    "PAYER_SETTING_INVALID",
    section=SECTION,
    severity=Severity.WARNING,
    source="the clinic's own payer settings (Payers page), each checked against its parameter's declared "
    "type, allowed values and range",
    fix="Open the payer's page and enter the value again, from the same date; until then the shipped value applies.",
)
def payer_setting_invalid(ctx: CheckContext) -> list[Hit]:
    """A value the clinic stored for this payer does not fit its parameter, so it was skipped."""
    # The refused values are the same on every day the snapshot shares its resolutions with (no value of its
    # layers starts or ends between them), so they are listed once per snapshot, not sorted out every note.
    snapshot = ctx.snapshot
    return snapshot.derived(_REFUSED, lambda: [_refused_hit(refused) for refused in snapshot.refused_values()])


_REFUSED = "payer.refused_values"  # the key of a snapshot's hits (``Snapshot.derived``)


def _refused_hit(refused: RefusedValue) -> Hit:
    return Hit(
        f"The clinic's value {json.dumps(refused.value, default=str)} for {refused.name} "
        f"(from {refused.effective.start}) was ignored: {refused.problem}. The note was checked with the "
        "payer's shipped value instead.",
    )
