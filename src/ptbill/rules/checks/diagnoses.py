"""Diagnosis checks: present, billable ICD-10-CM on the date of service, pointed to, and covered.

Sources: ICD-10-CM code set (CMS/CDC, by fiscal year); 837P SV107 allows 4 pointers (facts.md §9);
payer coverage lists are payer parameters (``coverage.covered_diagnoses.<code>``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from ptbill.domain.claim import MAX_DIAGNOSIS_POINTERS
from ptbill.domain.encounter import dotted_diagnosis, normalize_diagnosis
from ptbill.domain.finding import Severity
from ptbill.reference.icd10 import CodeStatus
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule

SECTION = "Diagnoses"
INSTALL_COMMAND = "ptbill reference load-icd10 with CMS's code descriptions file for that year"


def fiscal_year(day: date) -> int:
    """The federal fiscal year of a date: ICD-10-CM changes each 1 October (FY2026 starts 2025-10-01)."""
    return day.year + 1 if day.month >= 10 else day.year


@rule(
    "DIAGNOSIS_MISSING",
    section=SECTION,
    severity=Severity.ERROR,
    source="X12 837P 005010X222A1 loop 2300 HI (at least one diagnosis) and SV107 (pointer on each line); "
    "CMS-1500 items 21 and 24E",
    fix="Add the ICD-10-CM diagnoses treated and point each service to the ones it treats.",
)
def diagnosis_missing(ctx: CheckContext) -> Iterator[Hit]:
    """The encounter has no diagnosis, or a service points to none."""
    if not ctx.encounter.diagnoses:
        yield Hit("The encounter has no diagnosis.", None, "diagnoses")
        return
    for index, service in enumerate(ctx.services):
        if not service.diagnosis_pointers:
            yield Hit(f"{service.code} points to no diagnosis.", index, f"services[{index}].diagnosis_pointers")


@rule(
    "DIAGNOSIS_INVALID",
    section=SECTION,
    severity=Severity.ERROR,
    source="ICD-10-CM tabular list (CMS/CDC) for the fiscal year of the date of service: only codes with no "
    "subdivisions are billable",
    fix="Use the complete (billable) code: for example M54.50, M54.51 or M54.59 instead of the header M54.5.",
)
def diagnosis_invalid(ctx: CheckContext) -> Iterator[Hit]:
    """A diagnosis is not a billable ICD-10-CM code on the date of service."""
    if ctx.icd10 is None:
        return
    missing = fiscal_year(ctx.encounter.date_of_service)
    for position, code in enumerate(ctx.encounter.diagnoses):
        status = ctx.icd10.status(code)
        if status is CodeStatus.BILLABLE:
            continue
        shown = dotted_diagnosis(code)
        fix = None
        if status is CodeStatus.HEADER:
            message = f"{shown} is a category header in {ctx.icd10.name}, not a billable code."
            children = ctx.icd10.billable_under(code)
            listed = ", ".join(dotted_diagnosis(c) for c in children[:8]) + (", ..." if len(children) > 8 else "")
            fix = f"Use the complete code that fits the documentation: {listed}."
        else:
            message = f"{shown} is not an ICD-10-CM code in {ctx.icd10.name}."
        severity = None
        if not ctx.icd10_exact:
            # The code set of the visit's own year may say otherwise: warn, never block on another year's list.
            severity = Severity.WARNING
            message += (
                f" The visit's code set, FY{missing} (from {missing - 1}-10-01), is not installed, so this may "
                f"be a code of FY{missing} only."
            )
            fix = f"Install the FY{missing} ICD-10-CM code set ({INSTALL_COMMAND}), then check the note again."
        yield Hit(
            message,
            None,
            f"diagnoses[{position}]",
            reference=f"{ctx.icd10.name} ({ctx.icd10.source})",
            fix=fix,
            severity=severity,
        )


@rule(
    "ICD10_CODE_SET_NOT_LOADED",
    section=SECTION,
    severity=Severity.INFO,
    source="ICD-10-CM is updated each fiscal year on October 1 (CMS/CDC)",
    fix="Install the code set of the visit's fiscal year from CMS's 'code descriptions' file (ptbill reference "
    "load-icd10 FILE).",
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
            fix=f"Install the FY{missing} ICD-10-CM code set ({INSTALL_COMMAND}).",
        )


@rule(
    "DIAGNOSIS_POINTER_INVALID",
    section=SECTION,
    severity=Severity.ERROR,
    source="X12 837P 005010X222A1 SV107: up to 4 pointers to the HI diagnoses; CMS-1500 item 24E",
    fix="Point each service to at most 4 of the encounter's diagnoses, counting from 1.",
)
def diagnosis_pointer_invalid(ctx: CheckContext) -> Iterator[Hit]:
    """A service points outside the diagnosis list, or to more than 4 diagnoses."""
    count = len(ctx.encounter.diagnoses)
    for index, service in enumerate(ctx.services):
        where = f"services[{index}].diagnosis_pointers"
        outside = [p for p in service.diagnosis_pointers if not 1 <= p <= count]
        if outside:
            yield Hit(
                f"{service.code} points to diagnosis {', '.join(map(str, outside))}, but the encounter lists "
                f"{count} diagnos{'is' if count == 1 else 'es'}.",
                index,
                where,
            )
        if len(service.diagnosis_pointers) > MAX_DIAGNOSIS_POINTERS:
            yield Hit(
                f"{service.code} has {len(service.diagnosis_pointers)} pointers; a line takes at most 4.", index, where
            )


@rule(
    "DIAGNOSIS_NOT_COVERED",
    section=SECTION,
    severity=Severity.ERROR,
    source="the payer's coverage policy for the code (parameter coverage.covered_diagnoses.<code>)",
    fix="Check that the diagnosis is right and documented; if the payer does not cover this code for it, tell "
    "the patient the cost before treatment (Medicare: an ABN and modifier GA).",
)
def diagnosis_not_covered(ctx: CheckContext) -> Iterator[Hit]:
    """The payer lists the diagnoses it covers for a code, and none of the service's diagnoses is among them."""
    diagnoses = ctx.encounter.diagnoses
    for index, service in enumerate(ctx.services):
        policy = ctx.snapshot.resolved(f"coverage.covered_diagnoses.{service.code}")
        if policy is None:
            continue
        prefixes = tuple(normalize_diagnosis(p) for p in policy.codes)
        pointed = [
            normalize_diagnosis(diagnoses[p - 1]) for p in service.diagnosis_pointers if 1 <= p <= len(diagnoses)
        ]
        if pointed and not any(code.startswith(prefixes) for code in pointed):
            yield Hit(
                f"{ctx.snapshot.payer.name} covers {service.code} only for "
                f"{', '.join(dotted_diagnosis(p) + '*' for p in prefixes)}; this service points to "
                f"{', '.join(dotted_diagnosis(c) for c in pointed)}.",
                index,
                f"services[{index}].diagnosis_pointers",
                reference=f"{policy.reference} (in force from {policy.effective.start})",
            )
