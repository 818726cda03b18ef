"""From a checked encounter to a claim: one line per code per day with the engine's units.

Charges come from the clinic's charge master (a CSV of code → charge per unit); a code missing from
it is charged at a configurable multiple (parameter ``charges.default_multiple``) of its latest
Medicare national amount, else of its expected payment, else of ``charges.fallback_amount``.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from ptbill.domain.claim import (
    MAX_MODIFIERS,
    Claim,
    ClaimFrequency,
    ClaimParty,
    ClaimPayer,
    Person,
    PostalAddress,
    ServiceLine,
)
from ptbill.domain.claim_line import ClaimLine
from ptbill.domain.encounter import ASSISTANT_OF, Address, Credential, Encounter, normalize_diagnosis
from ptbill.domain.errors import PtbillError
from ptbill.domain.vocabulary import ClaimFilingIndicator
from ptbill.pricing import NATIONAL_LOCALITY_KEY, MedicareFeeSchedule, NotPricedError
from ptbill.reference.catalog import ReferenceCatalog, Snapshot
from ptbill.reference.modifiers import ModifierCodeSet
from ptbill.reference.parameters import ParameterLayer

CENTS = Decimal("0.01")
PHYSICAL_THERAPIST_TAXONOMY = "225100000X"  # NUCC: Physical Therapist
# NUCC provider taxonomy of the person a claim names; others furnishing therapy keep the PT code.
TAXONOMY = {
    Credential.PT: PHYSICAL_THERAPIST_TAXONOMY,
    Credential.PTA: "225200000X",  # Physical Therapy Assistant
    Credential.OT: "225X00000X",  # Occupational Therapist
    Credential.OTA: "224Z00000X",  # Occupational Therapy Assistant
    Credential.SLP: "235Z00000X",  # Speech-Language Pathologist
}


class ClaimBuildError(PtbillError):
    """The encounter cannot become a claim; ``reasons`` says why, one line each."""

    def __init__(self, encounter_id: str, reasons: list[str]) -> None:
        self.encounter_id = encounter_id
        self.reasons = reasons
        super().__init__(f"{encounter_id}: " + "; ".join(reasons))


@dataclass(frozen=True, slots=True)
class ChargeMaster:
    """The clinic's own charge for one unit of each code."""

    charges: Mapping[str, Decimal]
    source: str = "charge master"

    @classmethod
    def from_csv(cls, path: Path) -> ChargeMaster:
        charges: dict[str, Decimal] = {}
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"code", "charge"} <= set(reader.fieldnames):
                raise ClaimBuildError(str(path), ["a charge master needs the columns code and charge"])
            for number, row in enumerate(reader, start=2):
                try:
                    amount = Decimal(row["charge"].strip().lstrip("$").replace(",", ""))
                except (InvalidOperation, AttributeError):
                    raise ClaimBuildError(
                        str(path), [f"line {number}: charge {row['charge']!r} is not an amount"]
                    ) from None
                if amount <= 0:
                    raise ClaimBuildError(str(path), [f"line {number}: charge must be more than 0"])
                charges[row["code"].strip().upper()] = amount.quantize(CENTS)
        return cls(charges, str(path))

    def charge_for(self, code: str) -> Decimal | None:
        return self.charges.get(code)


def _medicare_national(code: str) -> Decimal | None:
    """One unit of the code at the latest Medicare PFS national amount: the base of default charges."""
    return _national_amount(MedicareFeeSchedule.default(), code)


@functools.lru_cache(maxsize=4096)
def _national_amount(schedule: MedicareFeeSchedule, code: str) -> Decimal | None:
    """Kept per schedule object (a schedule never changes once loaded): a claim's lines would otherwise work
    out and describe the same price, steps and all, for every line of every claim."""
    try:
        return schedule.latest.amount(code, NATIONAL_LOCALITY_KEY).amount or None
    except (NotPricedError, LookupError):
        return None


def _split_name(full: str) -> tuple[str, str | None]:
    """'Dana Reyes' → ('Reyes', 'Dana'); a single word is kept whole as the last name."""
    parts = full.split()
    if len(parts) < 2:
        return full.strip(), None
    return parts[-1], " ".join(parts[:-1])


def _address(address: Address | None) -> PostalAddress | None:
    if address is None:
        return None
    return PostalAddress(address.line1, address.city, address.state, address.zip, address.line2)


def _person_party(name: str, npi: str, credential: Credential | None = None) -> ClaimParty:
    last, first = _split_name(name)
    taxonomy = TAXONOMY.get(credential, PHYSICAL_THERAPIST_TAXONOMY) if credential else PHYSICAL_THERAPIST_TAXONOMY
    return ClaimParty(last, npi, first_name=first, taxonomy=taxonomy)


def _claim_payer(payer_id: str, name: str, snapshot: Snapshot) -> ClaimPayer:
    return ClaimPayer(
        id=payer_id,
        name=name,
        payer_identifier=str(snapshot.value("claims.payer_identifier", payer_id.upper()[:80])),
        # declared required, so always set; commercial is the baseline's own default
        filing_indicator=ClaimFilingIndicator(
            snapshot.choice("claims.filing_indicator") or ClaimFilingIndicator.COMMERCIAL
        ),
    )


# Keys of what build_claim works out once per snapshot (``Snapshot.derived``): from the snapshot's values alone,
# so snapshots of days that resolve alike share them, and a snapshot never changes, so they never go stale.
_CHARGE_TERMS = "claims.build.charge_terms"
_CLAIM_PAYER = "claims.build.claim_payer"


def _charge_terms(snapshot: Snapshot) -> tuple[Decimal, Decimal, frozenset[str]]:
    """The multiple of a default charge, the fallback amount, and the modifiers the payer also accepts."""
    multiple = Decimal(str(snapshot.value("charges.default_multiple")))
    fallback = Decimal(str(snapshot.value("charges.fallback_amount")))
    return multiple, fallback, frozenset(snapshot.codes("modifiers.also_accepted") or ())


def claim_payer(
    catalog: ReferenceCatalog, payer_id: str, day: date, clinic_layer: ParameterLayer | None = None
) -> ClaimPayer:
    """The payer as a claim to it names it on ``day`` (its identifier and filing indicator parameters)."""
    info = catalog.payer(payer_id)
    if info is None:
        raise ClaimBuildError(payer_id, [f"payer {payer_id!r} is not in the catalog"])
    snapshot = catalog.snapshot(info.id, day)
    if clinic_layer is not None:
        snapshot = snapshot.with_layer(clinic_layer)
    return _claim_payer(info.id, info.name, snapshot)


def build_claim(
    encounter: Encounter,
    claim_lines: Sequence[ClaimLine],
    catalog: ReferenceCatalog,
    charge_master: ChargeMaster | None = None,
    *,
    frequency: ClaimFrequency = ClaimFrequency.ORIGINAL,
    original_claim_number: str | None = None,
    claim_id: str | None = None,
    created: date | None = None,
    clinic_layer: ParameterLayer | None = None,
) -> Claim:
    """The claim for a checked encounter's planned lines. Refusing blocked encounters is the caller's job."""
    reasons: list[str] = []
    payer_info = catalog.payer(encounter.coverage.payer)
    if payer_info is None:
        raise ClaimBuildError(encounter.id, [f"payer {encounter.coverage.payer!r} is not in the catalog"])
    if frequency is not ClaimFrequency.ORIGINAL and not original_claim_number:
        reasons.append("a replacement or void claim needs the payer's original claim number")
    snapshot = catalog.snapshot(payer_info.id, encounter.date_of_service)
    if clinic_layer is not None:  # the clinic's own dated values (charge multiple, payer id) come first
        snapshot = snapshot.with_layer(clinic_layer)
    multiple, fallback, accepted = snapshot.derived(_CHARGE_TERMS, lambda: _charge_terms(snapshot))
    modifier_codes = ModifierCodeSet.default()

    lines: list[ServiceLine] = []
    codes = catalog.procedure_codes
    for number, planned in enumerate(claim_lines, start=1):
        charge = charge_master.charge_for(planned.code) if charge_master else None
        if charge is None:
            per_unit = _medicare_national(planned.code)
            if per_unit is not None:
                basis = per_unit * planned.units
            elif planned.expected_payment:
                basis = planned.expected_payment
            else:
                basis = fallback * planned.units
            charge = (basis * multiple).quantize(CENTS, rounding=ROUND_HALF_UP)
        else:
            charge = charge * planned.units
        info = codes.get(planned.code)
        unknown = [
            m
            for m in planned.modifiers
            if m not in accepted and not modifier_codes.valid_on(m, encounter.date_of_service)
        ]
        if unknown:  # the payer's front end would reject the whole claim for it
            reasons.append(
                f"line {number} ({planned.code}) carries {', '.join(unknown)}, not a modifier on "
                f"{encounter.date_of_service}"
            )
        lines.append(
            ServiceLine(
                line_number=number,
                code=planned.code,
                modifiers=planned.modifiers[:MAX_MODIFIERS],
                units=planned.units,
                charge=charge,
                diagnosis_pointers=planned.diagnosis_pointers,
                service_date=encounter.date_of_service,
                place_of_service=encounter.place_of_service,
                expected_payment=planned.expected_payment,
                description=info.label if info else None,
            )
        )
    if not lines:
        reasons.append("nothing to bill: no service earns a unit")
    if reasons:
        raise ClaimBuildError(encounter.id, reasons)

    billing = encounter.billing_provider
    rendering = encounter.rendering_provider
    supervising = encounter.supervising_provider
    enrolls_assistants = snapshot.flag("providers.assistants_enrolled")
    if encounter.furnished_by_assistant and supervising is None and not enrolls_assistants:
        raise ClaimBuildError(
            encounter.id,
            [
                f"{payer_info.name} does not enroll {rendering.credential.value}s: record the supervising therapist, "
                "whose NPI the claim names as rendering provider"
            ],
        )
    # Medicare does not enroll PTAs or OTAs: the supervising therapist is the rendering provider and CQ or
    # CO on the lines marks the assistant's part.
    if encounter.furnished_by_assistant and supervising is not None:
        rendering_party = _person_party(
            supervising.name, supervising.npi, supervising.credential or ASSISTANT_OF[rendering.credential]
        )
        supervising_party = None
    else:
        rendering_party = _person_party(rendering.name, rendering.npi, rendering.credential)
        supervising_party = (
            _person_party(supervising.name, supervising.npi, supervising.credential) if supervising else None
        )

    patient = encounter.patient
    patient_person = Person(
        patient.first_name, patient.last_name, patient.birth_date, patient.sex.value, _address(patient.address)
    )
    subscriber = encounter.coverage.subscriber
    subscriber_person = (
        Person(
            subscriber.first_name,
            subscriber.last_name,
            subscriber.birth_date,
            subscriber.sex.value,
            _address(subscriber.address),
        )
        if subscriber is not None
        else patient_person
    )
    if encounter.coverage.relationship.value != "self" and subscriber is None:
        raise ClaimBuildError(
            encounter.id,
            [
                f"the patient is the subscriber's {encounter.coverage.relationship.value}: record coverage.subscriber "
                "(name, birth date, sex) so the claim can name the insured"
            ],
        )
    payer = snapshot.derived(
        (_CLAIM_PAYER, payer_info.id, payer_info.name), lambda: _claim_payer(payer_info.id, payer_info.name, snapshot)
    )
    auth = encounter.coverage.authorization
    return Claim(
        claim_id=claim_id or encounter.id,
        encounter_id=encounter.id,
        payer=payer,
        billing_provider=ClaimParty(
            billing.name,
            billing.npi,
            tax_id=billing.tax_id.replace("-", ""),
            address=_address(billing.address),
            taxonomy=PHYSICAL_THERAPIST_TAXONOMY,
        ),
        rendering_provider=rendering_party,
        patient=patient_person,
        subscriber=subscriber_person,
        relationship=encounter.coverage.relationship.value,
        member_id=encounter.coverage.member_id,
        group_number=encounter.coverage.group_number,
        diagnoses=tuple(normalize_diagnosis(d) for d in encounter.diagnoses),
        lines=tuple(lines),
        place_of_service=encounter.place_of_service,
        service_date=encounter.date_of_service,
        referring_provider=(
            _person_party(encounter.referring_provider.name, encounter.referring_provider.npi)
            if encounter.referring_provider
            else None
        ),
        supervising_provider=supervising_party,
        prior_authorization=auth.number if auth else None,
        frequency=frequency,
        original_claim_number=original_claim_number,
        patient_account=patient.id,
        created=created,
    )
