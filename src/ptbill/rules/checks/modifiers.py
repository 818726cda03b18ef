"""Modifier and code-pair checks: GP, CQ, KX, conflicting liability modifiers, NCCI pairs and 59/X.

Sources: Claims Processing Manual ch.5 §20.1 (GP), BBA 2018 §53107 (CQ), the KX threshold
(facts.md §4.3), Noridian on GA/KX/GY/GZ (§4.3-4.4), CMS NCCI PTP edits and the X{EPSU} modifiers (§3, §4.5).
"""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.domain.encounter import Credential
from ptbill.domain.finding import Severity
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule

SECTION = "Modifiers and code pairs"
DISTINCT_MODIFIERS = frozenset({"59", "XE", "XS", "XP", "XU"})
X_MODIFIERS = frozenset({"XE", "XS", "XP", "XU"})
# Pairs that must not stand on one line: KX attests necessity, GA/GZ/GY state expected denial.
CONFLICTS = (("KX", "GA"), ("GA", "GZ"), ("GA", "GY"), ("GY", "GZ"))


def _line_modifiers(ctx: CheckContext, indexes: list[int]) -> set[str]:
    return {m for i in indexes for m in ctx.services[i].modifiers}


@rule(
    "MODIFIER_GP_MISSING",
    section=SECTION,
    severity=Severity.ERROR,
    source="Medicare Claims Processing Manual (Pub. 100-04) ch.5 §20.1: therapy codes carry GP, GO or GN "
    "(facts.md §4.1)",
    fix="Add GP to every therapy line delivered under the PT plan of care.",
)
def gp_missing(ctx: CheckContext) -> Iterator[Hit]:
    """A therapy code lacks GP for a payer that requires it (every Medicare payer)."""
    if not ctx.snapshot.flag("modifiers.gp_required"):
        return
    for index, service in enumerate(ctx.services):
        info = ctx.code_info(service.code)
        if info is not None and info.therapy and "GP" not in service.modifiers:
            yield Hit(f"{service.code} has no GP modifier.", index, f"services[{index}].modifiers")


@rule(
    "MODIFIER_CQ_MISSING",
    section=SECTION,
    severity=Severity.ERROR,
    source="Bipartisan Budget Act of 2018 §53107; CMS 'Billing examples using CQ/CO modifiers' (required "
    "from 2020-01-01, paid at 85% from 2022-01-01; facts.md §4.2)",
    fix="Add CQ to the lines the PTA furnished in whole or in part (more than 10% of the service).",
)
def cq_missing(ctx: CheckContext) -> Iterator[Hit]:
    """A PTA rendered the care for a payer that requires CQ (Medicare), and a therapy line lacks CQ."""
    if ctx.encounter.rendering_provider.credential is not Credential.PTA:
        return
    if not ctx.snapshot.flag("modifiers.cq_required"):
        return
    for index, service in enumerate(ctx.services):
        info = ctx.code_info(service.code)
        if info is not None and info.therapy and "CQ" not in service.modifiers:
            yield Hit(
                f"{service.code} was furnished by a PTA ({ctx.encounter.rendering_provider.name}) and has no CQ.",
                index,
                f"services[{index}].modifiers",
            )


@rule(
    "MODIFIER_CONFLICT",
    section=SECTION,
    severity=Severity.ERROR,
    source="Noridian 'Modifier GA': do not combine GA, GY, GZ on one line, and GA cannot be used with KX "
    "(facts.md §4.3-4.4)",
    fix="Keep one of the two: KX when the care is necessary and documented, GA when an ABN was given for "
    "care expected to be denied.",
)
def modifier_conflict(ctx: CheckContext) -> Iterator[Hit]:
    """A line carries modifiers that must not stand together (KX with GA; GA with GZ or GY)."""
    for index, service in enumerate(ctx.services):
        present = set(service.modifiers)
        for first, second in CONFLICTS:
            if first in present and second in present:
                yield Hit(f"{service.code} carries both {first} and {second}.", index, f"services[{index}].modifiers")


def _pairs(ctx: CheckContext) -> Iterator[tuple[int, int, int, str, str]]:
    """Every code pair of the encounter that has a PTP edit in force: (col1 index, col2 index, indicator, ...)."""
    if ctx.ptp is None:
        return
    groups = ctx.groups
    day = ctx.encounter.date_of_service
    for a in range(len(groups)):
        for b in range(a + 1, len(groups)):
            edit = ctx.ptp.lookup(groups[a].code, groups[b].code, day)
            if edit is None or edit.modifier_indicator == 9:
                continue
            column1 = groups[a] if groups[a].code == edit.column1 else groups[b]
            column2 = groups[b] if column1 is groups[a] else groups[a]
            yield (
                column1.service_indexes[0],
                column2.service_indexes[0],
                edit.modifier_indicator,
                edit.source,
                edit.rationale,
            )


@rule(
    "NCCI_MODIFIER_REQUIRED",
    section=SECTION,
    severity=Severity.ERROR,
    source="CMS National Correct Coding Initiative procedure-to-procedure edits, modifier indicator 1 (facts.md §3)",
    fix="If the two services were truly distinct (separate, non-overlapping time), add 59 or the X modifier "
    "that fits (XU, XS...) to the column-2 line and document it; otherwise leave the column-2 code off.",
)
def ncci_modifier_required(ctx: CheckContext) -> Iterator[Hit]:
    """Two codes form an NCCI pair that allows a modifier, and the column-2 line has no 59 or X modifier."""
    accepted = DISTINCT_MODIFIERS if ctx.snapshot.flag("modifiers.x_accepted") else frozenset({"59"})
    for column1, column2, indicator, source, _rationale in _pairs(ctx):
        if indicator != 1:
            continue
        code1, code2 = ctx.services[column1].code, ctx.services[column2].code
        present = _line_modifiers(ctx, next(g.service_indexes for g in ctx.groups if g.code == code2))
        if not present & accepted:
            only_59 = " (this payer does not accept X modifiers: use 59)" if len(accepted) == 1 else ""
            yield Hit(
                f"{code2} is bundled into {code1} unless it was a distinct service; it needs "
                f"59 or an X modifier{only_59}.",
                column2,
                f"services[{column2}].modifiers",
                reference=source,
            )


@rule(
    "NCCI_PAIR_NOT_ALLOWED",
    section=SECTION,
    severity=Severity.ERROR,
    source="CMS National Correct Coding Initiative procedure-to-procedure edits, modifier indicator 0 (facts.md §3)",
    fix="Bill only the column-1 code: the column-2 code is never paid with it, whatever the modifier.",
)
def ncci_pair_not_allowed(ctx: CheckContext) -> Iterator[Hit]:
    """Two codes form an NCCI pair that no modifier can bypass."""
    for column1, column2, indicator, source, _rationale in _pairs(ctx):
        if indicator == 0:
            code1, code2 = ctx.services[column1].code, ctx.services[column2].code
            yield Hit(
                f"{code2} is never paid with {code1} on the same day.",
                column2,
                f"services[{column2}].code",
                reference=source,
            )


@rule(
    "MODIFIER_59_WITHOUT_PAIR",
    section=SECTION,
    severity=Severity.WARNING,
    source="CPT modifier 59 and CMS X{EPSU} guidance: use them only to bypass an edit for a distinct service "
    "(facts.md §4.5)",
    fix="Remove 59/X: no code-pair edit applies to this line, and an unneeded 59 draws audits (the seed "
    "guide's 'add modifier 59 if traction was distinct' is not needed for 97012 with these codes).",
)
def modifier_59_without_pair(ctx: CheckContext) -> Iterator[Hit]:
    """A line carries 59 or an X modifier but forms no code pair in the encounter."""
    paired = {ctx.services[i].code for pair in _pairs(ctx) for i in pair[:2]}
    for index, service in enumerate(ctx.services):
        distinct = sorted(set(service.modifiers) & DISTINCT_MODIFIERS)
        if distinct and service.code not in paired:
            yield Hit(
                f"{service.code} carries {', '.join(distinct)} but forms no code pair with another code of the visit.",
                index,
                f"services[{index}].modifiers",
            )
