"""Modifier and code-pair checks: the discipline modifiers (GP, GO, GN), the assistant modifiers (CQ,
CO), KX, conflicting liability modifiers, modifiers outside the code list, NCCI pairs and 59/X.

Sources: Claims Processing Manual ch.5 §20.1 (therapy modifiers), BBA 2018 §53107 (CQ, CO), the KX
threshold, the ABN modifiers GA/GY/GZ, CMS NCCI procedure-to-procedure edits and the X{EPSU} modifiers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from ptbill.domain.encounter import Credential, Discipline, discipline_of
from ptbill.domain.finding import Severity
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, in_words, lines_hit, rule
from ptbill.rules.sources import HCPCS_URL, NCCI_URL, NORIDIAN_GA_URL, THERAPY_SERVICES_URL, cite, cpm

SECTION = "Modifiers and code pairs"
DISTINCT_MODIFIERS = frozenset({"59", "XE", "XS", "XP", "XU"})
X_MODIFIERS = frozenset({"XE", "XS", "XP", "XU"})
# Pairs that must not stand on one line: KX attests necessity, GA/GZ/GY state expected denial.
CONFLICTS = (("KX", "GA"), ("GA", "GZ"), ("GA", "GY"), ("GY", "GZ"))
CONFLICTING = frozenset(modifier for pair in CONFLICTS for modifier in pair)
DISCIPLINE_MODIFIER = {
    Discipline.PHYSICAL_THERAPY: "GP",
    Discipline.OCCUPATIONAL_THERAPY: "GO",
    Discipline.SPEECH_LANGUAGE_PATHOLOGY: "GN",
}
_DISCIPLINE_OF = {modifier: discipline for discipline, modifier in DISCIPLINE_MODIFIER.items()}
NCCI_PTP = "CMS National Correct Coding Initiative, practitioner procedure-to-procedure edits"
CPM_THERAPY = cpm(5, "20.1", "outpatient therapy services carry GP, GO or GN by plan of care")
ASSISTANT_MODIFIERS = cite(
    "Bipartisan Budget Act of 2018 §53107; CMS 'Billing examples using CQ/CO modifiers for services furnished in "
    "whole or in part by PTAs/OTAs' (required from 2020-01-01, paid at 85% from 2022-01-01)",
    THERAPY_SERVICES_URL,
)


def _line_modifiers(ctx: CheckContext, indexes: list[int]) -> set[str]:
    return {m for i in indexes for m in ctx.services[i].modifiers}


def _discipline_lines(ctx: CheckContext, wanted: str) -> Iterable[Hit]:
    """One hit naming every therapy line of the visit that lacks the discipline's modifier ``wanted`` (named by its
    modifier: on Python 3.11 reading ``Discipline.PHYSICAL_THERAPY`` costs about 900 instructions, a dict look-up
    of a string a tenth of that)."""
    discipline = _DISCIPLINE_OF[wanted]
    if discipline_of(ctx.encounter.rendering_provider.credential) is not discipline:
        return ()
    if not ctx.snapshot.flag("modifiers.gp_required"):  # the payer asks for GP, GO or GN on therapy lines
        return ()
    services = ctx.services
    lacking: list[int] = []
    for index, info in enumerate(ctx.service_infos):
        if info is not None and info.therapy and wanted not in services[index].modifiers:
            lacking.append(index)
    if not lacking:
        return ()  # every therapy line carries the modifier: the usual note
    others = set(DISCIPLINE_MODIFIER.values()) - {wanted}
    wrong = {modifier for index in lacking for modifier in services[index].modifiers if modifier in others}
    codes = [services[i].code for i in lacking]
    message = f"{in_words(codes)} {'has' if len(codes) == 1 else 'have'} no {wanted} modifier"
    if wrong:
        message += (
            f" ({in_words(sorted(wrong))} marks another discipline's plan of care; this visit was furnished by "
            f"{ctx.encounter.rendering_provider.credential.value} under the {discipline.value} plan)"
        )
    return (lines_hit(message + ".", lacking, "modifiers"),)


@rule(
    "MODIFIER_GP_MISSING",
    needs=("pt_discipline",),
    section=SECTION,
    per_visit=True,
    severity=Severity.ERROR,
    source=CPM_THERAPY,
    fix="Add GP to every therapy line delivered under the PT plan of care.",
)
def gp_missing(ctx: CheckContext) -> Iterable[Hit]:
    """A PT visit's therapy code lacks GP for a payer that requires it (every Medicare payer)."""
    return _discipline_lines(ctx, "GP")


@rule(
    "MODIFIER_GO_MISSING",
    needs=("ot_discipline",),
    section=SECTION,
    per_visit=True,
    severity=Severity.ERROR,
    source=CPM_THERAPY,
    fix="Add GO (not GP) to every therapy line an OT or OTA furnished under the occupational therapy plan of care.",
)
def go_missing(ctx: CheckContext) -> Iterable[Hit]:
    """An OT visit's therapy code lacks GO for a payer that requires discipline modifiers."""
    return _discipline_lines(ctx, "GO")


@rule(
    "MODIFIER_GN_MISSING",
    needs=("slp_discipline",),
    section=SECTION,
    per_visit=True,
    severity=Severity.ERROR,
    source=CPM_THERAPY,
    fix="Add GN (not GP) to every therapy line an SLP furnished under the speech-language pathology plan of care.",
)
def gn_missing(ctx: CheckContext) -> Iterable[Hit]:
    """A speech-language pathologist's therapy code lacks GN where discipline modifiers are required."""
    return _discipline_lines(ctx, "GN")


def _assistant_lines(ctx: CheckContext, assistant: Credential, wanted: str) -> Iterator[Hit]:
    """One hit naming every therapy line of an assistant's visit that lacks the assistant's modifier."""
    if ctx.encounter.rendering_provider.credential is not assistant:
        return
    lacking = [
        index
        for index, service in enumerate(ctx.services)
        if (info := ctx.code_info(service.code)) is not None and info.therapy and wanted not in service.modifiers
    ]
    if not lacking:
        return
    codes = [ctx.services[i].code for i in lacking]
    yield lines_hit(
        f"{in_words(codes)} {'was' if len(codes) == 1 else 'were'} furnished by {assistant.value} "
        f"{ctx.encounter.rendering_provider.name} and {'has' if len(codes) == 1 else 'have'} no {wanted}.",
        lacking,
        "modifiers",
    )


@rule(
    "MODIFIER_CQ_MISSING",
    needs=("pta",),
    section=SECTION,
    per_visit=True,
    severity=Severity.ERROR,
    source=ASSISTANT_MODIFIERS,
    fix="Add CQ to the lines the PTA furnished in whole or in part (more than 10% of the service).",
)
def cq_missing(ctx: CheckContext) -> Iterator[Hit]:
    """A PTA rendered the care for a payer that requires CQ (Medicare), and a therapy line lacks CQ."""
    if ctx.encounter.rendering_provider.credential is Credential.PTA and ctx.snapshot.flag("modifiers.cq_required"):
        yield from _assistant_lines(ctx, Credential.PTA, "CQ")


@rule(
    "MODIFIER_CO_MISSING",
    needs=("ota",),
    section=SECTION,
    per_visit=True,
    severity=Severity.ERROR,
    source=ASSISTANT_MODIFIERS,
    fix="Add CO to the lines the OTA furnished in whole or in part (more than 10% of the service).",
)
def co_missing(ctx: CheckContext) -> Iterator[Hit]:
    """An OTA rendered the care for a payer that requires CO (Medicare), and a therapy line lacks CO."""
    if ctx.encounter.rendering_provider.credential is Credential.OTA and ctx.snapshot.flag("modifiers.co_required"):
        yield from _assistant_lines(ctx, Credential.OTA, "CO")


@rule(
    "MODIFIER_UNKNOWN",
    needs=("modifiers",),
    section=SECTION,
    severity=Severity.ERROR,
    source=cite(
        "CMS HCPCS Level II modifiers, quarterly update; AMA CPT code set, Appendix A (modifiers); each modifier's "
        "own source and dates are in ptbill's modifier list",
        HCPCS_URL,
    ),
    fix="Correct the modifier (a typo?) or remove it. If the payer really asks for it, add it to the payer's "
    "accepted modifiers on the Payers page.",
)
def modifier_unknown(ctx: CheckContext) -> Iterable[Hit]:
    """A line carries a modifier that is not a valid modifier on the date of service."""
    day, valid_on = ctx.encounter.date_of_service, ctx.modifiers.valid_on
    for modifier in ctx.modifiers_used:
        if not valid_on(modifier, day):
            return _unknown_modifiers(ctx, day)
    return ()  # each modifier of the visit tested once: all valid, the usual note


def _unknown_modifiers(ctx: CheckContext, day: date) -> Iterator[Hit]:
    """MODIFIER_UNKNOWN's hits: one per modifier not valid on the day, naming its lines."""
    lines: dict[str, list[int]] = {}
    for index, service in enumerate(ctx.services):
        for modifier in service.modifiers:
            if not ctx.modifiers.valid_on(modifier, day):
                lines.setdefault(modifier, []).append(index)
    if lines:  # the payer's own additions are read only when the list does not know a modifier
        for modifier in ctx.snapshot.codes("modifiers.also_accepted") or ():
            lines.pop(modifier, None)
    for modifier, indexes in lines.items():
        known = ctx.modifiers.get(modifier)
        why = (
            f"it is valid from {known.valid.start}, after this visit"
            if known is not None and day < known.valid.start
            else f"it was retired before this visit ({known.valid})"
            if known is not None
            else "it is not a procedure-code modifier the payer will accept"
        )
        codes = [ctx.services[i].code for i in indexes]
        yield lines_hit(
            f"{in_words(list(dict.fromkeys(codes)))} {'carries' if len(indexes) == 1 else 'carry'} the modifier "
            f"{modifier}: {why}.",
            indexes,
            "modifiers",
            reference=f"{modifier}, {known.label.lower()}: {known.source}" if known is not None else None,
        )


@rule(
    "MODIFIER_CONFLICT",
    needs=("modifiers",),
    section=SECTION,
    severity=Severity.ERROR,
    source=cite(
        "Noridian 'Modifier GA': do not combine GA, GY, GZ on one line, and GA cannot be used with KX", NORIDIAN_GA_URL
    ),
    fix="Keep one of the two: KX when the care is necessary and documented, GA when an ABN was given for "
    "care expected to be denied.",
)
def modifier_conflict(ctx: CheckContext) -> Iterator[Hit]:
    """A line carries modifiers that must not stand together (KX with GA; GA with GZ or GY)."""
    if len(ctx.modifiers_used & CONFLICTING) < 2:
        return  # a conflict takes two of them on one line: the visit does not have two
    for index, service in enumerate(ctx.services):
        present = set(service.modifiers)
        for first, second in CONFLICTS:
            if first in present and second in present:
                yield Hit(f"{service.code} carries both {first} and {second}.", index, f"services[{index}].modifiers")


@rule(
    "NCCI_MODIFIER_REQUIRED",
    needs=("ncci_pairs",),
    section=SECTION,
    severity=Severity.ERROR,
    source=cite(NCCI_PTP + ", modifier indicator 1", NCCI_URL),
    fix="If the two services were truly distinct (separate, non-overlapping time), add 59 or the X modifier "
    "that fits (XU, XS...) to the column-2 line and document it; otherwise leave the column-2 code off.",
)
def ncci_modifier_required(ctx: CheckContext) -> Iterator[Hit]:
    """Two codes form an NCCI pair that allows a modifier, and the column-2 line has no 59 or X modifier."""
    accepted = DISTINCT_MODIFIERS if ctx.snapshot.flag("modifiers.x_accepted") else frozenset({"59"})
    for column1, column2, indicator, source, _rationale in ctx.ncci_pairs:
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
    needs=("ncci_pairs",),
    section=SECTION,
    severity=Severity.ERROR,
    source=cite(NCCI_PTP + ", modifier indicator 0", NCCI_URL),
    fix="Bill only the column-1 code: the column-2 code is never paid with it, whatever the modifier.",
)
def ncci_pair_not_allowed(ctx: CheckContext) -> Iterator[Hit]:
    """Two codes form an NCCI pair that no modifier can bypass."""
    for column1, column2, indicator, source, _rationale in ctx.ncci_pairs:
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
    needs=("modifiers",),
    section=SECTION,
    severity=Severity.WARNING,
    source=cite(
        "CMS MLN Matters MM8863 on modifier 59 and the X{EPSU} modifiers: use them only to bypass an edit for a "
        "distinct service",
        "https://www.cms.gov/Outreach-and-Education/Medicare-Learning-Network-MLN/MLNMattersArticles/downloads/MM8863.pdf",
    ),
    fix="Remove 59 or the X modifier: no code-pair edit applies to this line, and an unneeded 59 draws audits "
    "(97012 billed with these codes needs no 59, whatever some billing guides say).",
)
def modifier_59_without_pair(ctx: CheckContext) -> Iterator[Hit]:
    """A line carries 59 or an X modifier but forms no code pair in the encounter."""
    if ctx.modifiers_used.isdisjoint(DISTINCT_MODIFIERS):
        return  # no 59 or X modifier on any line: the usual note
    paired = {ctx.services[i].code for pair in ctx.ncci_pairs for i in pair[:2]}
    for index, service in enumerate(ctx.services):
        distinct = sorted(set(service.modifiers) & DISTINCT_MODIFIERS)
        if distinct and service.code not in paired:
            yield Hit(
                f"{service.code} carries {', '.join(distinct)} but forms no code pair with another code of the visit.",
                index,
                f"services[{index}].modifiers",
            )
