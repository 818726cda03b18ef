"""Eligibility: the payer's 271 answer on file for the note's coverage (``CheckContext.eligibility``).

The app hands the checks the coverage's latest answer when the clinic verifies eligibility in ptbill (it has
asked or recorded one); a note checked alone (``ptbill check``) or in a clinic that does not verify sees none,
and these checks stay quiet. The coverage status, plan dates, visits and prior authorization are the 271's
own (ASC X12 005010X279A1, loops 2100C/D and 2110C/D); how recent an answer must be is the dated payer
parameter ``eligibility.verify_within_days``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ptbill.domain.finding import Severity
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule
from ptbill.rules.sources import cite

if TYPE_CHECKING:
    from ptbill.domain.eligibility import EligibilityOnFile

SECTION = "Eligibility (270/271)"
X279_URL = "https://x12.org/products/transaction-sets"
TR3 = "ASC X12 Health Care Eligibility Benefit Inquiry and Response (270/271), guide 005010X279A1"
HETS_URL = "https://www.cms.gov/data-research/cms-information-technology/hipaa-eligibility-transaction-system"


def _on_file(ctx: CheckContext) -> EligibilityOnFile | None:
    found = ctx.eligibility
    return found if found is not None and found.on_file else None


def _answer(found: EligibilityOnFile) -> str:
    number = f" #{found.answer_id}" if found.answer_id is not None else ""
    return f"the payer's 271{number} received {found.received_on}, for {found.asked_for}"


@rule(
    "ELIGIBILITY_COVERAGE_INACTIVE",
    needs=("eligibility",),
    section=SECTION,
    severity=Severity.ERROR,
    source=cite(
        f"{TR3}: the benefit's eligibility code EB01 6-8 (inactive), the AAA rejections, and the member's plan "
        "begin and end dates (DTP*346/347); for Medicare, the CMS HIPAA Eligibility Transaction System (HETS)",
        X279_URL,
    )
    + f"; {cite('CMS HETS 270/271', HETS_URL)}",
    fix="Ask the patient for their current insurance and verify it again (send a 270): bill the plan that covers "
    "the date of service, or the patient if none does.",
)
def coverage_inactive(ctx: CheckContext) -> Iterator[Hit]:
    """The payer's eligibility answer says the coverage was not active on the date of service."""
    found = _on_file(ctx)
    if found is None:
        return
    day = ctx.encounter.date_of_service
    why = f" The 271 says: {found.reasons}." if found.reasons else ""
    if found.status == "inactive":
        yield Hit(f"The coverage is inactive according to {_answer(found)}.{why}", None, "coverage.member_id")
    elif found.plan_begin is not None and day < found.plan_begin:
        yield Hit(
            f"The date of service {day} is before the plan began ({found.plan_begin}) according to "
            f"{_answer(found)}.{why}",
            None,
            "coverage.member_id",
        )
    elif found.plan_end is not None and day > found.plan_end:
        yield Hit(
            f"The date of service {day} is after the plan ended ({found.plan_end}) according to {_answer(found)}.{why}",
            None,
            "coverage.member_id",
        )


@rule(
    "ELIGIBILITY_NOT_VERIFIED",
    needs=("eligibility",),
    section=SECTION,
    severity=Severity.WARNING,
    source="the payer's expectation of how recent an eligibility check must be (parameter "
    f"eligibility.verify_within_days); {cite(TR3 + ', DTP*291 the date of service asked', X279_URL)}",
    fix="Verify eligibility now (Verify now on the patient's chart) and check the payer's answer before billing.",
)
def not_verified(ctx: CheckContext) -> Iterator[Hit]:
    """Eligibility was not verified with the payer within the payer's window before the date of service."""
    found = ctx.eligibility
    window = ctx.snapshot.resolved("eligibility.verify_within_days")
    if found is None or window is None:
        return
    day = ctx.encounter.date_of_service
    reference = f"{window.reference} (in force from {window.effective.start})"
    if found.received_on is None:
        yield Hit("No eligibility answer (271) is on file for this coverage.", None, "coverage.member_id",
                  reference=reference)  # fmt: skip
    elif (day - found.received_on).days > window.integer:  # received more than the window's days before the visit
        yield Hit(
            f"The latest eligibility answer was received {found.received_on}, more than {window.integer} days "
            f"before the date of service {day}.",
            None,
            "coverage.member_id",
            reference=reference,
        )


@rule(
    "ELIGIBILITY_VISITS_EXCEEDED",
    needs=("eligibility",),
    section=SECTION,
    severity=Severity.WARNING,
    source=cite(f"{TR3}: the visits a benefit states (EB09 VS with EB10; EB06 29 what remains), or HSD", X279_URL),
    fix="Tell the patient before treatment that the plan will not pay for visits beyond its limit (they owe the "
    "visit), or ask the payer for more visits.",
)
def visits_exceeded(ctx: CheckContext) -> Iterator[Hit]:
    """This visit is beyond the plan's visit limit: the visits the 271 left, less the patient's visits since."""
    found = _on_file(ctx)
    if found is None or found.visits_remaining is None:
        return
    this_visit = found.visits_after + 1
    if this_visit > found.visits_remaining:
        yield Hit(
            f"The plan had {found.visits_remaining} visit(s) left according to {_answer(found)}; "
            f"{found.visits_after} visit(s) since, so this one is beyond the limit.",
            None,
            "coverage.authorization",
        )


@rule(
    "ELIGIBILITY_AUTH_REQUIRED",
    needs=("eligibility",),
    section=SECTION,
    severity=Severity.ERROR,
    source=cite(f"{TR3}: EB11 Y, authorization or certification required", X279_URL),
    fix="Request prior authorization from the payer and record its number and dates before billing the visit.",
)
def auth_required(ctx: CheckContext) -> Iterator[Hit]:
    """The payer's eligibility answer says therapy needs prior authorization, and none is on file."""
    found = _on_file(ctx)
    if found is None or not found.prior_auth_required:
        return
    if found.authorization_on_file or ctx.encounter.coverage.authorization is not None:
        return
    required = ctx.snapshot.resolved("authorization.required")
    if required is not None and required.flag:
        return  # AUTH_MISSING says it already
    yield Hit(
        f"Prior authorization is required according to {_answer(found)}, and none is on file for "
        f"{ctx.encounter.date_of_service}.",
        None,
        "coverage.authorization",
    )
