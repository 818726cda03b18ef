"""Code and unit checks: known codes, payable codes, units against the calculator and the MUE, and time.

Sources: Medicare Claims Processing Manual ch.5 §20.2 (units), the CMS medically unlikely edits,
Medicare Benefit Policy Manual ch.15 §220.3 (total timed and total treatment minutes in each note).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ptbill.domain.finding import Severity
from ptbill.reference.catalog import ResolvedValue
from ptbill.reference.mue import MueTable, MueValue
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, in_words, rule
from ptbill.rules.sources import MUE_URL, bpm_15, cite, cpm

SECTION = "Codes and units"
EIGHT_MINUTE_RULE = cpm(5, "20.2", "counting minutes for timed codes")
TREATMENT_NOTE = bpm_15("220.3", "'Total timed code treatment minutes and total treatment time in minutes'")
MUE_SOURCE = cite(
    "CMS National Correct Coding Initiative, practitioner medically unlikely edits (quarterly file); NCCI Policy "
    "Manual for Medicare Services ch.1 §V",
    MUE_URL,
)


@rule(
    "CODE_UNKNOWN",
    section=SECTION,
    severity=Severity.ERROR,
    source=cite(
        "CMS physician fee schedule relative value file (the PT, OT and modality codes it lists), as in ptbill's "
        "procedure-code list",
        "https://www.cms.gov/medicare/payment/fee-schedules/physician/pfs-relative-value-files",
    ),
    fix="Check the code for a typo; if it is a real code the clinic bills, add it to the code catalog.",
)
def code_unknown(ctx: CheckContext) -> Iterable[Hit]:
    """A service's code is not in the code catalog."""
    infos = ctx.service_infos
    if all(infos):  # every code known (a ProcedureCode is always true): the usual note
        return ()
    return [
        Hit(f"{service.code} is not a code ptbill knows.", index, f"services[{index}].code")
        for index, (service, info) in enumerate(zip(ctx.services, infos, strict=True))
        if info is None
    ]


@rule(
    "CODE_NOT_PAYABLE",
    section=SECTION,
    severity=Severity.ERROR,
    source="the payer's list of codes it does not pay separately (parameter codes.not_payable)",
    fix="Bill the code the payer accepts instead, or leave the service off the claim.",
)
def code_not_payable(ctx: CheckContext) -> Iterable[Hit]:
    """The code is not valid or not separately paid for this payer."""
    not_payable = ctx.snapshot.resolved("codes.not_payable")
    series = ctx.snapshot.resolved("codes.not_payable_series")
    # Most notes bill no code either list names: one pass over the codes before the one that explains.
    listed = not_payable.code_texts if not_payable is not None else {}
    prefixes = tuple(series.code_texts) if series is not None else ()
    if not any(s.code in listed or s.code.startswith(prefixes) for s in ctx.services):
        return ()
    return _not_payable_hits(ctx, not_payable, series)


def _not_payable_hits(
    ctx: CheckContext, not_payable: ResolvedValue | None, series: ResolvedValue | None
) -> Iterator[Hit]:
    for index, service in enumerate(ctx.services):
        if ctx.statutory_exclusion(service.code) is not None:
            continue  # not a Medicare benefit: billed with GY for the patient to pay (ABN_STATUTORY_EXCLUSION)
        # A code's own entry says the most; a whole series (Medicare: every S code) catches the rest.
        if not_payable is not None and service.code in not_payable.code_texts:
            reason, basis = not_payable.code_texts[service.code], not_payable
        else:
            prefix = next((p for p in (series.code_texts if series else {}) if service.code.startswith(p)), None)
            if prefix is None or series is None:
                continue
            reason, basis = series.code_texts[prefix], series
        yield Hit(
            f"{ctx.snapshot.payer.name} does not pay {service.code} separately: {reason}.",
            index,
            f"services[{index}].code",
            reference=f"{basis.reference} (in force from {basis.effective.start})",
        )


def _mue_limit(
    ctx: CheckContext, table: MueTable | None, code: str
) -> tuple[int, bool, MueValue | ResolvedValue] | None:
    """The code's MUE: units, whether it counts the whole day (MAI 2 or 3) or one claim line, and its basis
    (``_mue_source`` words it, only when a finding needs it). ``table``: the installed CMS table when it answers
    for the date of service (its quarter onward; earlier visits keep the dated parameters)."""
    if table is not None:
        found = table.lookup(code)
        if found is not None:
            return found.units, found.adjudication_indicator != 1, found
    parameter = ctx.snapshot.resolved(f"mue.{code}")
    if parameter is None:
        return None
    # The shipped values are per patient per day, as CMS's date-of-service edits are.
    return parameter.integer, True, parameter


def _mue_source(basis: MueValue | ResolvedValue) -> str:
    if isinstance(basis, MueValue):
        return f"{basis.source} (MAI {basis.adjudication_indicator})"
    return f"{basis.reference} (confidence: {basis.confidence})"


@rule(
    "UNITS_EXCEED_MUE",
    section=SECTION,
    severity=Severity.ERROR,
    source=MUE_SOURCE,
    fix="Bill no more units than the MUE allows for the day, across all of the patient's notes; if more were "
    "truly given, document why and expect review.",
)
def units_exceed_mue(ctx: CheckContext) -> Iterator[Hit]:
    """More units of a code are billed for the day than its medically unlikely edit allows.

    A date-of-service edit counts the units of the patient's other notes of the day by other providers
    too (the same provider's are DUPLICATE_SERVICE); a line edit counts this line only.
    """
    table = ctx.mue if ctx.mue is not None and ctx.mue.quarter <= ctx.encounter.date_of_service else None
    same_day = ctx.same_day
    for group in ctx.groups:
        limit = _mue_limit(ctx, table, group.code)
        if limit is None:
            continue
        units, whole_day, basis = limit
        billed = ctx.billed_units(group.code)
        if billed <= units and not (whole_day and same_day):
            continue  # within the edit, and no other note of the day counts: the usual line
        own_npi = ctx.encounter.billed_under.npi
        elsewhere = [s for s in same_day if s.code == group.code and s.provider_npi != own_npi] if whole_day else []
        total = billed + sum(s.units for s in elsewhere)
        if total > units:
            first = group.service_indexes[0]
            other = (
                f" and {sum(s.units for s in elsewhere)} in note "
                f"{in_words(list(dict.fromkeys(s.note_id for s in elsewhere)))} the same day"
                if elsewhere
                else ""
            )
            yield Hit(
                f"{billed} unit{'s' if billed != 1 else ''} of {group.code} {'are' if billed != 1 else 'is'} billed "
                f"here{other}; the medically unlikely edit allows {units} a day.",
                first,
                f"services[{first}].units",
                reference=_mue_source(basis),
            )


@rule(
    "UNITS_MISMATCH",
    section=SECTION,
    severity=Severity.ERROR,
    source=EIGHT_MINUTE_RULE + " for the cms method; CPT time rule (per code) for the per_code method",
    fix="Bill the units the documented minutes support, or correct the minutes.",
)
def units_mismatch(ctx: CheckContext) -> Iterator[Hit]:
    """The units the clinic means to bill differ from what the payer's unit method gives."""
    if all(service.units is None for service in ctx.services):
        return  # no line states its units: they are the calculator's
    for group in ctx.groups:
        stated = [ctx.services[i].units for i in group.service_indexes]
        if all(u is None for u in stated):
            continue
        billed = sum(u or 0 for u in stated)
        computed = ctx.computed_units(group.code)
        if billed != computed:
            first = group.service_indexes[0]
            if not ctx.is_timed(group.code):
                basis = "an untimed code is billed once a day"
            elif ctx.unit_method.value == "cms":
                basis = f"the visit's {ctx.units.total_timed_minutes} timed minutes are pooled under the 8-minute rule"
            else:
                basis = "the per-code method counts its own documented minutes"
            yield Hit(
                f"{group.code} is billed with {billed} unit(s) but the minutes support {computed}: {basis}.",
                first,
                f"services[{first}].units",
            )


@rule(
    "TIMED_MINUTES_MISSING",
    section=SECTION,
    severity=Severity.ERROR,
    source=EIGHT_MINUTE_RULE,
    fix="Record the minutes (or start and end times) of every timed service; units are computed from them.",
)
def timed_minutes_missing(ctx: CheckContext) -> Iterable[Hit]:
    """A timed (per 15 minutes) code has no documented time."""
    if None not in ctx.documented_minutes:  # every service documents its time: the usual note
        return ()
    return [
        Hit(f"{service.code} is billed per 15 minutes but has no minutes.", index, f"services[{index}].minutes")
        for index, (service, minutes) in enumerate(zip(ctx.services, ctx.documented_minutes, strict=True))
        if minutes is None and ctx.is_timed(service.code)
    ]


@rule(
    "TIMED_SERVICE_UNBILLABLE",
    section=SECTION,
    severity=Severity.WARNING,
    source=EIGHT_MINUTE_RULE,
    fix="Nothing to bill for this service: keep it in the note (its minutes count toward total time), and "
    "leave it off the claim.",
)
def timed_service_unbillable(ctx: CheckContext) -> Iterator[Hit]:
    """A timed service earns no unit under the payer's method; it stays in the note, not on the claim."""
    units = ctx.units.units
    if all(units.get(group.code, 0) for group in ctx.groups):
        return  # every code earns a unit
    for group in ctx.groups:
        if not ctx.is_timed(group.code) or ctx.computed_units(group.code) > 0:
            continue
        services = [ctx.services[i] for i in group.service_indexes]
        if any(s.documented_minutes is None for s in services):
            continue  # TIMED_MINUTES_MISSING says what is wrong
        minutes = sum(s.documented_minutes or 0 for s in services)
        first = group.service_indexes[0]
        tie = next((t for t in ctx.units.ties if group.code in t.codes), None)
        why = (
            f"it tied with {', '.join(c for c in tie.codes if c != group.code)} for the last unit, which went to "
            f"{tie.chosen} (either may be billed)"
            if tie
            else "the units go to codes with more time"
        )
        yield Hit(
            f"{group.code} ({minutes} min) earns no unit: the visit's {ctx.units.total_timed_minutes} timed minutes "
            f"give {sum(ctx.units.units[c] for c in ctx.units.units if ctx.is_timed(c))} unit(s) and {why}.",
            first,
            f"services[{first}].minutes",
        )


@rule(
    "TOTAL_TIME_MISSING",
    section=SECTION,
    severity=Severity.WARNING,
    source=TREATMENT_NOTE,
    fix="Record the total treatment time of the visit, timed and untimed services together.",
)
def total_time_missing(ctx: CheckContext) -> Iterator[Hit]:
    """The note does not record the visit's total treatment minutes."""
    if ctx.encounter.total_treatment_minutes is None and ctx.services:
        yield Hit("The note does not record the total treatment time.", None, "total_treatment_minutes")


@rule(
    "TOTAL_TIME_INCONSISTENT",
    section=SECTION,
    severity=Severity.WARNING,
    source=TREATMENT_NOTE + "; 'billing and total timed code treatment minutes must be consistent'",
    fix="Correct either the services' minutes or the total treatment time so they agree.",
)
def total_time_inconsistent(ctx: CheckContext) -> Iterable[Hit]:
    """The services' minutes add up to more than the total treatment time."""
    total = ctx.encounter.total_treatment_minutes
    if total is None:
        return ()
    documented = sum(filter(None, ctx.documented_minutes))  # a service without minutes adds none
    if documented <= total:
        return ()
    return (
        Hit(
            f"The services add up to {documented} minutes, more than the {total}-minute total treatment time.",
            None,
            "total_treatment_minutes",
        ),
    )
