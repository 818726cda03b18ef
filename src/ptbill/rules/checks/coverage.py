"""Coverage, prior authorization and plan-of-care checks.

Sources: Medicare Benefit Policy Manual ch.15 §220.1-220.3 (plan of care, certification, progress
reports), the CY 2025 physician fee schedule final rule (certification by a signed order), the ABN
(CMS-R-131) for care expected to be denied, and each payer's own authorization and coverage parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from ptbill.domain.chart import plan_end
from ptbill.domain.dates import DateRange
from ptbill.domain.finding import Severity
from ptbill.domain.note_content import NoteType
from ptbill.reference.catalog import ResolvedValue
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule
from ptbill.rules.sources import CARC_URL, CY2025_PFS_URL, bpm_15, cite

SECTION = "Coverage, authorization, plan of care"
CONSISTENCY = "Clinical consistency"
LIABILITY_NOTICE_MODIFIERS = frozenset({"GA", "GY"})
# The note type PROGRESS_REPORT_DUE asks about, read once: on Python 3.11 an Enum member read from its class goes
# through ``EnumType.__getattr__``, about 900 instructions.
_DAILY_NOTE = NoteType.DAILY_NOTE
ABN_URL = "https://www.cms.gov/medicare/medicare-general-information/bni/abn"
ORDER_EXCEPTION = (
    cite("CY 2025 physician fee schedule final rule, 89 FR 97710 (December 9, 2024), at 97912-97918", CY2025_PFS_URL)
    + "; "
    + bpm_15("220.1.3", "certification of the plan of care, as updated for the exception")
)


@rule(
    "SERVICE_NOT_COVERED",
    section=SECTION,
    severity=Severity.ERROR,
    source="the payer's coverage policy (its list of covered or not covered codes); for Medicare, "
    + cite("the Advance Beneficiary Notice of Noncoverage (form CMS-R-131) and modifier GA", ABN_URL),
    fix="Tell the patient the out-of-pocket cost before treatment and get it signed (Medicare: an ABN, then "
    "bill with GA), or leave the service off.",
)
def service_not_covered(ctx: CheckContext) -> Iterable[Hit]:
    """The payer does not cover the code: the patient must hear the cost before treatment."""
    not_covered = ctx.snapshot.resolved("coverage.not_covered_codes")
    covered = ctx.snapshot.resolved("coverage.covered_codes")
    if not_covered is None and covered is None:
        return ()  # the payer lists no codes either way: the usual note, answered before its lines are walked
    return _not_covered(ctx, not_covered, covered)


def _not_covered(ctx: CheckContext, not_covered: ResolvedValue | None, covered: ResolvedValue | None) -> Iterator[Hit]:
    """SERVICE_NOT_COVERED's hits: one per code the payer's lists leave out, unless a line states the notice."""
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
    needs=("authorization",),
    section=SECTION,
    severity=Severity.ERROR,
    source=cite("the authorization's own dates (denied with claim adjustment reason code 197 outside them)", CARC_URL),
    fix="Ask the payer to extend the authorization, or get a new one, before billing this visit.",
)
def auth_expired(ctx: CheckContext) -> list[Hit]:
    """The date of service is outside the authorization's dates."""
    encounter = ctx.encounter
    auth = encounter.coverage.authorization
    if auth is None:
        return []
    day, valid_from, valid_to, hits = encounter.date_of_service, auth.valid_from, auth.valid_to, []
    if valid_from and day < valid_from:
        hits.append(
            Hit(
                f"Authorization {auth.number} starts on {valid_from}, after this visit.",
                None,
                "coverage.authorization.valid_from",
            )
        )
    if valid_to and day > valid_to:
        hits.append(Hit(f"Authorization {auth.number} ended on {valid_to}.", None, "coverage.authorization.valid_to"))
    return hits


@rule(
    "AUTH_VISITS_EXHAUSTED",
    needs=("authorization",),
    section=SECTION,
    severity=Severity.ERROR,
    source=cite("the authorization's approved visits (denied with reason code 197 and remark N640 after)", CARC_URL),
    fix="Request more visits from the payer before treating; the visit is not authorized.",
)
def auth_visits_exhausted(ctx: CheckContext) -> list[Hit]:
    """All the authorized visits have been used before this one."""
    auth = ctx.encounter.coverage.authorization
    if auth is None:
        return []
    approved, used = auth.visits_approved, auth.visits_used
    if approved is None or used is None or used < approved:
        return []
    return [
        Hit(
            f"Authorization {auth.number} approved {approved} visits and {used} are used.",
            None,
            "coverage.authorization.visits_used",
        )
    ]


@rule(
    "AUTH_VISITS_LOW",
    needs=("authorization",),
    section=SECTION,
    severity=Severity.WARNING,
    source="the authorization's approved visits: payers review a request for more visits before they run out "
    "(when to warn is the clinic's choice)",
    fix="Ask the payer for more visits now, with a progress note, so care is not interrupted.",
)
def auth_visits_low(ctx: CheckContext) -> list[Hit]:
    """Two authorized visits or fewer are left after this one."""
    auth = ctx.encounter.coverage.authorization
    if auth is None:
        return []
    approved, used = auth.visits_approved, auth.visits_used
    if approved is None or used is None:
        return []
    left = approved - used - 1
    threshold = ctx.snapshot.integer("authorization.low_visits_warning")
    if threshold is None or not 0 <= left <= threshold:
        return []
    return [
        Hit(
            f"Authorization {auth.number} has {left} visit(s) left after this one.",
            None,
            "coverage.authorization.visits_approved",
        )
    ]


@rule(
    "POC_MISSING",
    section=SECTION,
    severity=Severity.ERROR,
    source=bpm_15("220.1", "therapy is paid only under an established plan of care"),
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
    source=bpm_15("220.1.3", "certification within 30 days of the first treatment"),
    fix="Get the physician's or NPP's dated signature on the plan; past the deadline, document the reason "
    "for the delay with the late certification.",
    rises=True,
)
def poc_not_certified(ctx: CheckContext) -> Iterator[Hit]:
    """The plan of care is not certified; after 30 days from its start this blocks the claim.

    From 2025 Medicare also accepts, for an initial plan, a signed order plus the plan sent to its
    author within 30 days: a note that records the order is judged by POC_NOT_SENT_IN_TIME instead.
    """
    plan = ctx.encounter.plan_of_care
    days = ctx.snapshot.resolved("plan_of_care.certification_days")
    if plan is None or days is None or plan.certified_date is not None:
        return
    exception = _order_exception(ctx)
    if exception is not None and exception.relied_on:
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
        fix=(
            "Get the physician's or NPP's dated signature on the plan, or record their signed and dated order "
            f"(referral) and send them the plan within {exception.days} days of the initial evaluation. Past the "
            "deadline, document the reason for the delay with the late certification."
            if exception is not None and not plan.recertification
            else None
        ),
    )


@dataclass(frozen=True, slots=True)
class _OrderException:
    """Medicare's initial-certification exception as it applies to this note's plan (dates from 2025)."""

    days: int
    deadline: date  # the plan must reach the practitioner who signed the order by then
    relied_on: bool  # the note records a signed order for an initial plan: the exception decides
    met: bool
    reference: str


def _order_exception(ctx: CheckContext) -> _OrderException | None:
    plan = ctx.encounter.plan_of_care
    window = ctx.snapshot.resolved("plan_of_care.order_exception_days")
    if plan is None or window is None:
        return None
    deadline = plan.start_date + timedelta(days=window.integer)
    relied_on = plan.order_signed_date is not None and not plan.recertification
    sent = plan.sent_to_referrer_date
    met = relied_on and sent is not None and sent <= deadline
    reference = f"{window.reference} (in force from {window.effective.start})"
    return _OrderException(window.integer, deadline, relied_on, met, reference)


@rule(
    "POC_NOT_SENT_IN_TIME",
    needs=("plan_of_care",),
    section=CONSISTENCY,
    severity=Severity.WARNING,
    source=ORDER_EXCEPTION,
    fix="Send the plan of care to the practitioner who signed the order and record the day it was sent; once "
    "the 30 days have passed, get their signature on the plan instead.",
    effective=DateRange(date(2025, 1, 1)),
    rises=True,
)
def poc_not_sent_in_time(ctx: CheckContext) -> Iterator[Hit]:
    """The note relies on the signed order to certify an initial plan, but the plan was not sent to that
    practitioner within 30 days of the initial evaluation (Medicare, dates of service from 2025)."""
    plan = ctx.encounter.plan_of_care
    if plan is None or plan.certified_date is not None or plan.order_signed_date is None:
        return
    exception = _order_exception(ctx)
    if exception is None or not exception.relied_on:
        return
    if exception.met:
        return
    late = ctx.encounter.date_of_service > exception.deadline
    sent = plan.sent_to_referrer_date
    if sent is None:
        message = (
            f"The plan of care is certified by the order signed on {plan.order_signed_date} only once it is sent "
            f"to that practitioner, and no sending date is recorded; "
            + (f"the deadline was {exception.deadline}." if late else f"send it by {exception.deadline}.")
        )
    else:
        message = (
            f"The plan of care was sent on {sent}, after {exception.deadline} ({exception.days} days from the "
            "initial evaluation): the signed order does not certify it, so the plan needs the practitioner's signature."
        )
    yield Hit(
        message,
        None,
        "plan_of_care.sent_to_referrer_date",
        reference=exception.reference,
        severity=Severity.ERROR if late or sent is not None else None,
    )


@rule(
    "POC_EXPIRED",
    needs=("plan_of_care",),
    section=SECTION,
    severity=Severity.ERROR,
    source=bpm_15("220.1.3", "a plan lasts at most 90 calendar days before recertification"),
    fix="Re-evaluate, write a new or updated plan of care and have it (re)certified before billing more visits.",
)
def poc_expired(ctx: CheckContext) -> list[Hit]:
    """The date of service is after the plan's end date, or past the longest a plan may run."""
    encounter = ctx.encounter
    plan = encounter.plan_of_care
    if plan is None:
        return []
    day, end_date = encounter.date_of_service, plan.end_date
    if end_date is not None and day > end_date:
        return [Hit(f"The plan of care ended on {end_date}.", None, "plan_of_care.end_date")]
    weeks = plan.duration_weeks if end_date is None else None  # ptbill's duration field, no end date
    if weeks is not None and (day - plan.start_date).days >= 7 * weeks:  # past its last day (``chart.plan_end``)
        last = plan_end(plan.start_date, None, weeks)
        return [
            Hit(
                f"The plan of care ran {weeks} weeks from {plan.start_date} and ended on {last}.",
                None,
                "plan_of_care.duration_weeks",
            )
        ]
    longest = ctx.snapshot.resolved("plan_of_care.max_days")
    # Days between two dates rather than a date plus a timedelta: making a timedelta costs some 3,000 instructions.
    if longest is not None and (day - plan.start_date).days > longest.integer:
        return [
            Hit(
                f"The plan of care started on {plan.start_date}, more than {longest.value} days before this visit.",
                None,
                "plan_of_care.start_date",
                reference=longest.reference,
            )
        ]
    return []


@rule(
    "PROGRESS_REPORT_DUE",
    needs=(
        "daily_note",
        "plan_of_care",
    ),
    section=SECTION,
    severity=Severity.WARNING,
    source=bpm_15("220.3", "a progress report at least once every 10 treatment days"),
    fix="Have the PT (not the PTA) write the progress report at this visit.",
    rises=True,
)
def progress_report_due(ctx: CheckContext) -> Iterator[Hit]:
    """A progress report is due on the 10th treatment day since the last one, and overdue after it.

    Asked of a daily note: a progress report, re-evaluation or discharge summary is that report, and an
    initial evaluation starts the count.
    """
    if ctx.encounter.note_type is not _DAILY_NOTE:
        return
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


@rule(
    "PROGRESS_REPORT_BY_ASSISTANT",
    needs=(
        "plan_of_care",
        "assistant",
    ),
    section=CONSISTENCY,
    severity=Severity.WARNING,
    source=bpm_15("220.3", "the progress report is written by the therapist; assistants may not write it"),
    fix="Have the supervising therapist see the patient and write the progress report (at this visit or before "
    "the next); the assistant records the treatment only.",
)
def progress_report_by_assistant(ctx: CheckContext) -> Iterator[Hit]:
    """A progress report is due on a visit furnished by a PTA or OTA, who may not write it."""
    plan = ctx.encounter.plan_of_care
    if plan is None or plan.visits_since_progress_report is None or not ctx.encounter.furnished_by_assistant:
        return
    every = ctx.snapshot.resolved("plan_of_care.progress_report_every")
    if every is None:
        return
    treatment_day = plan.visits_since_progress_report + 1
    if treatment_day < every.integer:
        return
    provider = ctx.encounter.rendering_provider
    yield Hit(
        f"A progress report is due (treatment day {treatment_day}), and this visit is furnished by "
        f"{provider.credential.value} {provider.name}, who may not write it.",
        None,
        "rendering_provider",
        reference=every.reference,
    )
