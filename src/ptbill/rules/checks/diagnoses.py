"""Diagnosis checks: present, billable ICD-10-CM on the date of service, pointed to, and covered.

Sources: ICD-10-CM code set (CMS/CDC, by fiscal year); the CMS-1500 items 21 and 24E (up to 4
pointers a line, as in the 837P); payer coverage lists are payer parameters
(``coverage.covered_diagnoses.<code>``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from datetime import date

from ptbill.domain.claim_line import MAX_DIAGNOSIS_POINTERS
from ptbill.domain.encounter import dotted_diagnosis, normalize_diagnosis
from ptbill.domain.finding import Severity
from ptbill.domain.identity_memo import BoundedMemo, IdentityMemo, kept
from ptbill.reference.catalog import ResolvedValue, Snapshot
from ptbill.reference.icd10 import CodeSetVersion, CodeStatus
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, in_words, lines_hit, rule
from ptbill.rules.sources import ICD10_URL, cite, cpm

SECTION = "Diagnoses"
# The status every diagnosis of every note is compared with, read once: on Python 3.11 an Enum member read from its
# class goes through ``EnumType.__getattr__``, about 900 instructions.
_BILLABLE = CodeStatus.BILLABLE
INSTALL_COMMAND = "ptbill reference load-icd10 FILE, with CMS's code descriptions file for that fiscal year"


def fiscal_year(day: date) -> int:
    """The federal fiscal year of a date: ICD-10-CM changes each 1 October (FY2026 starts 2025-10-01)."""
    return day.year + 1 if day.month >= 10 else day.year


CLAIM_DIAGNOSES = cpm(
    26, "10.4", "items 21 (up to 12 diagnoses) and 24E (each line points to up to 4 of them); the 837P carries the same"
)


@rule(
    "DIAGNOSIS_MISSING",
    section=SECTION,
    per_visit=True,
    severity=Severity.ERROR,
    source=CLAIM_DIAGNOSES,
    fix="Add the ICD-10-CM diagnoses treated and point each service to the ones it treats.",
)
def diagnosis_missing(ctx: CheckContext) -> Iterable[Hit]:
    """The encounter has no diagnosis, or a service points to none."""
    if not ctx.encounter.diagnoses:
        return (Hit("The encounter has no diagnosis.", None, "diagnoses"),)
    services = ctx.services
    for service in services:
        if not service.diagnosis_pointers:
            break
    else:
        return ()  # every line points to a diagnosis: the usual note
    unpointed = [index for index, service in enumerate(services) if not service.diagnosis_pointers]
    codes = [services[i].code for i in unpointed]
    verb = "points" if len(codes) == 1 else "point"
    return (lines_hit(f"{in_words(codes)} {verb} to no diagnosis.", unpointed, "diagnosis_pointers"),)


@rule(
    "DIAGNOSIS_INVALID",
    needs=("icd10",),
    section=SECTION,
    severity=Severity.ERROR,
    source=cite(
        "ICD-10-CM Tabular List of Diseases (CMS and CDC) for the fiscal year of the date of service: only codes "
        "with no subdivisions are billable",
        ICD10_URL,
    ),
    fix="Use the complete (billable) code: for example M54.50, M54.51 or M54.59 instead of the header M54.5.",
    rises=True,
)
def diagnosis_invalid(ctx: CheckContext) -> Iterator[Hit]:
    """A diagnosis is not a billable ICD-10-CM code on the date of service."""
    icd10 = ctx.icd10
    if icd10 is None:
        return
    for position, code in enumerate(ctx.encounter.diagnoses):
        status = icd10.status(code)
        if status is _BILLABLE:
            continue
        missing = fiscal_year(ctx.encounter.date_of_service)
        shown = dotted_diagnosis(code)
        fix = None
        if status is CodeStatus.HEADER:
            message = f"{shown} is a category header in {icd10.name}, not a billable code."
            fix = f"Use the complete code that fits the documentation: {_children(icd10, code)}."
        else:
            message = f"{shown} is not an ICD-10-CM code in {icd10.name}."
        severity = None
        detail = None
        if not ctx.icd10_exact:
            # The code set of the visit's own year may say otherwise: warn, never block on another year's list.
            severity = Severity.WARNING
            message += (
                f" The visit's code set, FY{missing} (from {missing - 1}-10-01), is not installed, so this may "
                f"be a code of FY{missing} only."
            )
            fix = f"Ask the administrator to install the FY{missing} ICD-10-CM code set, then check the note again."
            detail = f"Installed with: {INSTALL_COMMAND}."
        yield Hit(
            message,
            None,
            f"diagnoses[{position}]",
            reference=f"{icd10.name} ({icd10.source})",
            fix=fix,
            severity=severity,
            detail=detail,
        )


# A header's billable codes in words, per code set (by identity, ``domain.identity_memo``) and header as spelled:
# the same few headers (M54.5) come back note after note, and listing them takes a search of the code set.
_CHILDREN: IdentityMemo = {}


def _children(version: CodeSetVersion, header: str) -> str:
    """The first eight billable codes under ``header``, dotted, and "..." when there are more."""

    def listed() -> str:
        children = version.billable_under(header)
        return ", ".join(dotted_diagnosis(c) for c in children[:8]) + (", ..." if len(children) > 8 else "")

    return kept(_CHILDREN, (id(version), header), listed, 1024, version)


@rule(
    "ICD10_CODE_SET_NOT_LOADED",
    needs=("icd10_inexact",),
    section=SECTION,
    severity=Severity.INFO,
    source=cite("ICD-10-CM is updated each fiscal year on October 1 (CMS and CDC)", ICD10_URL),
    fix="Ask the administrator to install the ICD-10-CM code set of the date of service's fiscal year; until "
    "then, check the diagnoses against the payer's current list.",
)
def code_set_not_loaded(ctx: CheckContext) -> Iterator[Hit]:
    """The diagnoses were checked against a neighbouring year's ICD-10-CM code set (ptbill's own id)."""
    if ctx.icd10 is not None and not ctx.icd10_exact and ctx.encounter.diagnoses:
        missing = fiscal_year(ctx.encounter.date_of_service)
        yield Hit(
            f"The ICD-10-CM code set of {ctx.encounter.date_of_service} (FY{missing}) is not installed; the "
            f"diagnoses were checked against {ctx.icd10.name}.",
            None,
            "diagnoses",
            fix=f"Ask the administrator to install the FY{missing} ICD-10-CM code set.",
            detail=f"Installed with: {INSTALL_COMMAND}.",
        )


@rule(
    "DIAGNOSIS_POINTER_INVALID",
    section=SECTION,
    severity=Severity.ERROR,
    source=CLAIM_DIAGNOSES,
    fix="Point each service to at most 4 of the encounter's diagnoses, counting from 1.",
)
def diagnosis_pointer_invalid(ctx: CheckContext) -> Iterable[Hit]:
    """A service points outside the diagnosis list, or to more than 4 diagnoses."""
    count = len(ctx.encounter.diagnoses)
    highest = _HIGHEST.get
    for service in ctx.services:
        pointers = service.diagnosis_pointers
        if pointers and (highest(pointers) or _highest(pointers)) > count:
            break
    else:
        return ()  # every line points within the list, to at most 4: the usual note
    return _pointer_hits(ctx, count)


# The highest diagnosis a line's pointers name, or _MALFORMED for more than 4 pointers or one below 1: worked out once
# per tuple, as the same few ((1,), (1, 2)) come back line after line and min and max cost more than the look-up.
_HIGHEST: BoundedMemo[tuple[int, ...], int] = BoundedMemo(1024)
_MALFORMED = sys.maxsize  # more than any diagnosis list holds


def _highest(pointers: tuple[int, ...]) -> int:
    well_formed = len(pointers) <= MAX_DIAGNOSIS_POINTERS and min(pointers) >= 1
    return _HIGHEST.keep(pointers, max(pointers) if well_formed else _MALFORMED)


def _pointer_hits(ctx: CheckContext, count: int) -> Iterator[Hit]:
    """DIAGNOSIS_POINTER_INVALID's hits: a line with too many pointers, and the lines pointing past the list."""
    outside: dict[int, list[int]] = {}
    for index, service in enumerate(ctx.services):
        beyond = [p for p in service.diagnosis_pointers if not 1 <= p <= count]
        if beyond:
            outside[index] = beyond
        if len(service.diagnosis_pointers) > MAX_DIAGNOSIS_POINTERS:
            yield Hit(
                f"{service.code} has {len(service.diagnosis_pointers)} pointers; a line takes at most 4.",
                index,
                f"services[{index}].diagnosis_pointers",
            )
    if outside:  # one problem for the visit: the diagnosis list is shorter than the lines expect
        parts = [
            f"{ctx.services[i].code} {'points ' if n == 0 else ''}to diagnosis {', '.join(map(str, pointers))}"
            for n, (i, pointers) in enumerate(outside.items())
        ]
        yield lines_hit(
            f"{in_words(parts)}, but the encounter lists {count} diagnos{'is' if count == 1 else 'es'}.",
            list(outside),
            "diagnosis_pointers",
        )


@rule(
    "DIAGNOSIS_NOT_COVERED",
    section=SECTION,
    severity=Severity.ERROR,
    source="the payer's coverage policy for the code (parameter coverage.covered_diagnoses.<code>)",
    fix="Check that the diagnosis is right and documented; if the payer does not cover this code for it, tell "
    "the patient the cost before treatment (Medicare: an ABN and modifier GA).",
)
def diagnosis_not_covered(ctx: CheckContext) -> Iterable[Hit]:
    """The payer lists the diagnoses it covers for a code, and none of the service's diagnoses is among them."""
    snapshot = ctx.snapshot
    policies = snapshot.derived(_POLICIES, lambda: _policies(snapshot))
    if not policies:
        return ()  # the payer covers no code for listed diagnoses only: the usual note
    hits = []
    for index, service in enumerate(ctx.services):
        found = policies.get(service.code)
        if found is None:
            continue
        policy, prefixes = found
        diagnoses = ctx.normalized_diagnoses
        pointed = [diagnoses[p - 1] for p in service.diagnosis_pointers if 1 <= p <= len(diagnoses)]
        if pointed and not any(code.startswith(prefixes) for code in pointed):
            hits.append(
                Hit(
                    f"{snapshot.payer.name} covers {service.code} only for "
                    f"{', '.join(dotted_diagnosis(p) + '*' for p in prefixes)}; this service points to "
                    f"{', '.join(dotted_diagnosis(c) for c in pointed)}.",
                    index,
                    f"services[{index}].diagnosis_pointers",
                    reference=f"{policy.reference} (in force from {policy.effective.start})",
                )
            )
    return hits


_POLICY = "coverage.covered_diagnoses."
_POLICIES = "coverage.covered_diagnoses"  # the key of a snapshot's policies (``Snapshot.derived``)


def _policies(snapshot: Snapshot) -> dict[str, tuple[ResolvedValue, tuple[str, ...]]]:
    """Each code the snapshot's payer covers for listed diagnoses only (``coverage.covered_diagnoses.<code>``), with
    its parameter and the diagnosis prefixes normalized: read once per snapshot, not once per line (no shipped payer
    sets one, so most notes ask a name that has no value for each of their codes)."""
    policies = {}
    for name in snapshot.names():
        if name.startswith(_POLICY) and (policy := snapshot.resolved(name)) is not None:
            policies[name.removeprefix(_POLICY)] = (policy, tuple(normalize_diagnosis(p) for p in policy.codes))
    return policies
