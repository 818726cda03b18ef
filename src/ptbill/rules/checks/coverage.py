"""Coverage, prior authorization and plan-of-care checks.

Sources: Medicare Benefit Policy Manual ch.15 §220.1-220.3 (plan of care, certification, progress
reports; facts.md §7), the ABN (CMS-R-131) for care expected to be denied, and each payer's own
authorization and coverage parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from ptbill.domain.finding import Severity
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule

SECTION = "Coverage, authorization, plan of care"
LIABILITY_NOTICE_MODIFIERS = frozenset({"GA", "GY"})
BPM_CH15 = "Medicare Benefit Policy Manual (Pub. 100-02) ch.15"


@rule(
    "SERVICE_NOT_COVERED",
    section=SECTION,
    severity=Severity.ERROR,
    source="the payer's coverage policy (parameters coverage.not_covered_codes, coverage.covered_codes); "
    "for Medicare, the ABN CMS-R-131 and modifier GA",
    fix="Tell the patient the out-of-pocket cost before treatment and get it signed (Medicare: an ABN, then "
    "bill with GA), or leave the service off.",
)
def service_not_covered(ctx: CheckContext) -> Iterator[Hit]:
    """The payer does not cover the code: the patient must hear the cost before treatment."""
    not_covered = ctx.snapshot.resolved("coverage.not_covered_codes")
    covered = ctx.snapshot.resolved("coverage.covered_codes")
    for group in ctx.groups:
        code = group.code
        reason: str | None = None
        basis = None
        if not_covered is not None and code in not_covered.code_texts:
            reason, basis = not_covered.code_texts[code], not_covered
        elif covered is not None and code not in covered.codes:
            reason, basis = "not on the payer's list of covered codes", covered
        if reason is None or basis is None:
            continue
        modifiers = {m for i in group.service_indexes for m in ctx.services[i].modifiers}
        if modifiers & LIABILITY_NOTICE_MODIFIERS:
            continue  # the notice was given and the line says so
        first = group.service_indexes[0]
        estimate = ctx.patient_cost_estimate(code)
        cost = f" The patient would owe about ${estimate:,.2f}." if estimate is not None else ""
        yield Hit(
            f"{ctx.snapshot.payer.name} does not cover {code}: {reason}.{cost}",
            first,
            f"services[{first}].code",
            reference=f"{basis.reference} (in force from {basis.effective.start})",
        )


@rule(
    "AUTH_MISSING",
    section=SECTION,
    severity=Severity.ERROR,
    source="the payer's prior-authorization requirement (parameter authorization.required)",
    fix="Request authorization from the payer before the visit and record its number and dates.",
)
def auth_missing(ctx: CheckContext) -> Iterator[Hit]:
    """The payer requires prior authorization and the coverage has none."""
    required = ctx.snapshot.resolved("authorization.required")
    if required is not None and required.flag and ctx.encounter.coverage.authorization is None:
        yield Hit(
            f"{ctx.snapshot.payer.name} requires prior authorization and none is recorded.",
            None,
            "coverage.authorization",
            reference=required.reference,
        )


@rule(
    "AUTH_EXPIRED",
    section=SECTION,
    severity=Severity.ERROR,
    source="the authorization's own dates (CARC 197 when services fall outside them)",
    fix="Ask the payer to extend the authorization, or get a new one, before billing this visit.",
)
def auth_expired(ctx: CheckContext) -> Iterator[Hit]:
    """The date of service is outside the authorization's dates."""
    auth = ctx.encounter.coverage.authorization
    day = ctx.encounter.date_of_service
    if auth is None:
        return
    if auth.valid_from and day < auth.valid_from:
        yield Hit(
            f"Authorization {auth.number} starts on {auth.valid_from}, after this visit.",
            None,
            "coverage.authorization.valid_from",
        )
    if auth.valid_to and day > auth.valid_to:
        yield Hit(f"Authorization {auth.number} ended on {auth.valid_to}.", None, "coverage.authorization.valid_to")


@rule(
    "AUTH_VISITS_EXHAUSTED",
    section=SECTION,
    severity=Severity.ERROR,
    source="the authorization's approved visits (CARC 197 / N640 when exceeded)",
    fix="Request more visits from the payer before treating; the visit is not authorized.",
)
def auth_visits_exhausted(ctx: CheckContext) -> Iterator[Hit]:
    """All the authorized visits have been used before this one."""
    auth = ctx.encounter.coverage.authorization
    if auth is None or auth.visits_approved is None or auth.visits_used is None:
        return
    if auth.visits_used >= auth.visits_approved:
        yield Hit(
            f"Authorization {auth.number} approved {auth.visits_approved} visits and {auth.visits_used} are used.",
            None,
            "coverage.authorization.visits_used",
        )


@rule(
    "AUTH_VISITS_LOW",
    section=SECTION,
    severity=Severity.WARNING,
    source="ptbill practice: request more visits before they run out (parameter authorization.low_visits_warning)",
    fix="Ask the payer for more visits now, with a progress note, so care is not interrupted.",
)
def auth_visits_low(ctx: CheckContext) -> Iterator[Hit]:
    """Two authorized visits or fewer are left after this one."""
    auth = ctx.encounter.coverage.authorization
    if auth is None or auth.visits_approved is None or auth.visits_used is None:
        return
    left = auth.visits_approved - auth.visits_used - 1
    threshold = ctx.snapshot.integer("authorization.low_visits_warning")
    if threshold is not None and 0 <= left <= threshold:
        yield Hit(
            f"Authorization {auth.number} has {left} visit(s) left after this one.",
            None,
            "coverage.authorization.visits_approved",
        )


@rule(
    "POC_MISSING",
    section=SECTION,
    severity=Severity.ERROR,
    source=BPM_CH15 + " §220.1: therapy is paid only under an established plan of care",
    fix="Attach the plan of care (start and end dates, frequency) and send it to the physician or NPP to certify.",
)
def poc_missing(ctx: CheckContext) -> Iterator[Hit]:
    """No plan of care, for a payer that requires one (Medicare)."""
    required = ctx.snapshot.resolved("plan_of_care.required")
    if required is not None and required.flag and ctx.encounter.plan_of_care is None:
        yield Hit("There is no plan of care for this visit.", None, "plan_of_care", reference=required.reference)


@rule(
    "POC_NOT_CERTIFIED",
    section=SECTION,
    severity=Severity.WARNING,
    source=BPM_CH15 + " §220.1.3: certification within 30 days of the first treatment",
    fix="Get the physician's or NPP's dated signature on the plan; past the deadline, document the reason "
    "for the delay with the late certification.",
)
def poc_not_certified(ctx: CheckContext) -> Iterator[Hit]:
    """The plan of care is not certified; after 30 days from its start this blocks the claim."""
    plan = ctx.encounter.plan_of_care
    days = ctx.snapshot.resolved("plan_of_care.certification_days")
    if plan is None or days is None or plan.certified_date is not None:
        return
    deadline = plan.start_date + timedelta(days=days.integer)
    late = ctx.encounter.date_of_service > deadline
    yield Hit(
        f"The plan of care from {plan.start_date} is not certified"
        + (f" and the {days.value}-day deadline passed on {deadline}." if late else f"; certify it by {deadline}."),
        None,
        "plan_of_care.certified_date",
        reference=days.reference,
        severity=Severity.ERROR if late else None,
    )


@rule(
    "POC_EXPIRED",
    section=SECTION,
    severity=Severity.ERROR,
    source=BPM_CH15 + " §220.1.3: a plan lasts at most 90 calendar days before recertification",
    fix="Re-evaluate, write a new or updated plan of care and have it (re)certified before billing more visits.",
)
def poc_expired(ctx: CheckContext) -> Iterator[Hit]:
    """The date of service is after the plan's end date, or past the longest a plan may run."""
    plan = ctx.encounter.plan_of_care
    if plan is None:
        return
    day = ctx.encounter.date_of_service
    if plan.end_date is not None and day > plan.end_date:
        yield Hit(f"The plan of care ended on {plan.end_date}.", None, "plan_of_care.end_date")
        return
    longest = ctx.snapshot.resolved("plan_of_care.max_days")
    if longest is not None and day > plan.start_date + timedelta(days=longest.integer):
        yield Hit(
            f"The plan of care started on {plan.start_date}, more than {longest.value} days before this visit.",
            None,
            "plan_of_care.start_date",
            reference=longest.reference,
        )


@rule(
    "PROGRESS_REPORT_DUE",
    section=SECTION,
    severity=Severity.WARNING,
    source=BPM_CH15 + " §220.3: a progress report at least once every 10 treatment days",
    fix="Have the PT (not the PTA) write the progress report at this visit.",
)
def progress_report_due(ctx: CheckContext) -> Iterator[Hit]:
    """A progress report is due on the 10th treatment day since the last one, and overdue after it."""
    plan = ctx.encounter.plan_of_care
    every = ctx.snapshot.resolved("plan_of_care.progress_report_every")
    if plan is None or every is None or plan.visits_since_progress_report is None:
        return
    treatment_day = plan.visits_since_progress_report + 1
    interval = every.integer
    if treatment_day == interval:
        yield Hit(
            f"This is treatment day {treatment_day} since the last progress report: one is due today.",
            None,
            "plan_of_care.visits_since_progress_report",
            reference=every.reference,
        )
    elif treatment_day > interval:
        yield Hit(
            f"This is treatment day {treatment_day} since the last progress report; one was due by day {interval}.",
            None,
            "plan_of_care.visits_since_progress_report",
            reference=every.reference,
            severity=Severity.ERROR,
        )
