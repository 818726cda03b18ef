"""What the payer's front end checks on the claim as a whole: a date of service that has passed, a place
where the practice may bill, and no service the patient's other notes of the day already bill.

Sources: the CMS-1500 instructions (Claims Processing Manual ch.26), 42 CFR 410.60(c) on where a
therapist in private practice furnishes services, and the duplicate-claim edits (ch.1 §120, CARC 18).
"""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.domain.finding import Severity
from ptbill.rules.context import CheckContext
from ptbill.rules.filing_limit import LATE, OPEN, filing_limit
from ptbill.rules.registry import Hit, in_words, lines_hit, rule
from ptbill.rules.sources import CARC_URL, CFR_410_60_URL, CFR_424_44_URL, bpm_15, cite, cpm

SECTION = "Claim: providers, place, date, duplicates"


@rule(
    "DATE_OF_SERVICE_IN_FUTURE",
    needs=("today",),
    section=SECTION,
    severity=Severity.ERROR,
    source=cpm(26, "10.4", "item 24A, the dates the services were furnished"),
    fix="Correct the date of service: a note and its claim are for care already given.",
)
def date_in_future(ctx: CheckContext) -> Iterator[Hit]:
    """The date of service is after today."""
    if ctx.today is not None and ctx.encounter.date_of_service > ctx.today:
        yield Hit(
            f"The date of service {ctx.encounter.date_of_service} is after today ({ctx.today}).",
            None,
            "date_of_service",
        )


@rule(
    "PLACE_OF_SERVICE_HOSPITAL",
    section=SECTION,
    severity=Severity.ERROR,
    source=cite(
        "42 CFR 410.60(c): a therapist in private practice furnishes services in its office or the patient's home",
        CFR_410_60_URL,
    )
    + "; "
    + bpm_15("230.4"),
    fix="Use the place where the care was given: 11 for the practice's office, 12 for the patient's home. Care "
    "given to a hospital's patients is billed by the hospital, not by the practice.",
)
def place_of_service_hospital(ctx: CheckContext) -> Iterator[Hit]:
    """The claim's place of service is a hospital setting, where the payer does not pay a therapist in private
    practice (Medicare: 19, 21, 22, 23)."""
    excluded = ctx.snapshot.resolved("place_of_service.not_for_private_practice")
    place = ctx.encounter.place_of_service
    if excluded is None or place not in excluded.code_texts:
        return
    yield Hit(
        f"Place of service {place} is {excluded.code_texts[place]}; {ctx.snapshot.payer.name} pays a therapist "
        "in private practice only for care in the practice's office or the patient's home.",
        None,
        "place_of_service",
        reference=f"{excluded.reference} (in force from {excluded.effective.start})",
    )


@rule(
    "DUPLICATE_SERVICE",
    needs=("same_day",),
    section=SECTION,
    severity=Severity.ERROR,
    source=cpm(1, "120", "detection of duplicate claims")
    + "; "
    + cite("claim adjustment reason code 18, exact duplicate claim or service", CARC_URL)
    + "; "
    + cpm(5, "20.2", "a timed code is billed on one line for the day, with the day's total units"),
    fix="Bill each code once for the day: put the services in one note (its minutes add up to the day's units), "
    "or remove the copy from this note.",
)
def duplicate_service(ctx: CheckContext) -> Iterator[Hit]:
    """A code of this note is billed for the same patient, date and provider in another of the clinic's notes."""
    if not ctx.same_day:
        return
    provider = ctx.encounter.billed_under.npi
    by_note: dict[str, list[int]] = {}
    for group in ctx.groups:
        if ctx.computed_units(group.code) == 0 and ctx.billed_units(group.code) == 0:
            continue  # nothing of it reaches the claim
        for other in ctx.same_day:
            if other.code == group.code and other.provider_npi == provider:
                lines = by_note.setdefault(other.note_id, [])
                lines.extend(i for i in group.service_indexes if i not in lines)
    for note_id, indexes in by_note.items():
        codes = list(dict.fromkeys(ctx.services[i].code for i in indexes))
        yield lines_hit(
            f"{in_words(codes)} {'is' if len(codes) == 1 else 'are'} also billed in note {note_id}, for the same "
            f"patient on {ctx.encounter.date_of_service} under the same provider (NPI {provider}); the payer "
            "would deny the second as a duplicate.",
            indexes,
            "code",
        )


@rule(
    "TIMELY_FILING_LIMIT",
    needs=("today",),
    section=SECTION,
    severity=Severity.INFO,
    source=cite(
        "42 CFR 424.44(a)(1): Medicare claims are filed within 12 months of the date of service",
        CFR_424_44_URL,
    )
    + "; "
    + cpm(1, "70", "time limitations for filing claims")
    + "; other payers: the contract's limit (parameter claims.filing_limit)",
    fix="Send the claim before its last day. Past it, the payer denies it (CARC 29) and the patient may not "
    "be billed: send it only with proof of an exception (42 CFR 424.44(b)), or write the balance off.",
)
def timely_filing(ctx: CheckContext) -> Iterator[Hit]:
    """The payer's timely filing limit is near (within the warning window) or past on the day of the check."""
    if ctx.today is None or ctx.encounter.date_of_service > ctx.today:
        return
    found = filing_limit(ctx.snapshot, ctx.encounter.date_of_service, ctx.today)
    if found is None or found.state == OPEN:
        return
    lead = "Past the payer's filing limit" if found.state == LATE else "The payer's filing limit is near"
    yield Hit(f"{lead}: {found.words()}.", None, "date_of_service", reference=found.reference)
