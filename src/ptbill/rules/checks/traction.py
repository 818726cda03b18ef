"""Documentation a mechanical-traction (97012) line needs to survive review, and its consistency:
the region treated has a diagnosis, the checks on the patient fall within the session.

Sources: the CPT definition of 97012 as a mechanical modality (manual traction is part of 97140),
NCD 160.16 on vertebral axial decompression, Medicare Benefit Policy Manual ch.15 §220.2-220.3 on
what makes therapy necessary and what a treatment note records, and the ICD-10-CM code set.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ptbill.domain.encounter import (
    BodyRegion,
    DeviceType,
    TractionMode,
    dotted_diagnosis,
    normalize_diagnosis,
)
from ptbill.domain.finding import Severity
from ptbill.domain.identity_memo import BoundedMemo, IdentityMemo, kept
from ptbill.reference.catalog import ResolvedValue, Snapshot
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule
from ptbill.rules.sources import CPT_URL, ICD10_URL, NCD_160_16_URL, bpm_15, cite, cpm

SECTION = "Traction documentation (97012)"
CONSISTENCY = "Clinical consistency"
DEVICE_WORDS = {
    DeviceType.MANUAL: "hands-on (manual) traction",
    DeviceType.ROLLER_TABLE: "a roller table",
    DeviceType.OVER_DOOR_WEIGHTS: "over-the-door weights",
    DeviceType.INVERSION_TABLE: "an inversion table",
    DeviceType.PNEUMATIC_HOME_UNIT: "a pneumatic home unit",
    DeviceType.OTHER: "another kind of device",
}
MECHANICAL_DEVICES = frozenset({DeviceType.MOTORIZED_TABLE, DeviceType.CERVICAL_DEVICE, DeviceType.DECOMPRESSION_TABLE})
# Members compared with on every traction line, read once: on Python 3.11 an Enum member read from its class goes
# through ``EnumType.__getattr__``, about 900 instructions.
_DECOMPRESSION_TABLE = DeviceType.DECOMPRESSION_TABLE
_INTERMITTENT = TractionMode.INTERMITTENT
CPT_97012 = cite(
    "AMA CPT code set, physical medicine and rehabilitation: 97012 is mechanical traction, a supervised modality; "
    "manual traction is one of the manual therapy techniques of 97140",
    CPT_URL,
)
TREATMENT_NOTE = bpm_15("220.3", "the treatment note records each intervention and modality furnished")
GUIDE_DOCUMENTATION = bpm_15(
    "220.2 and §220.3", "the record shows the skilled, necessary service furnished: for traction, device, settings"
)


def _where(index: int, name: str) -> str:
    return f"services[{index}].traction.{name}"


@rule(
    "TRACTION_NOT_MECHANICAL",
    needs=("traction",),
    section=SECTION,
    severity=Severity.ERROR,
    source=CPT_97012,
    fix="Bill hands-on (manual) traction as part of manual therapy (97140) with its minutes, or record "
    "the mechanical device actually used.",
)
def not_mechanical(ctx: CheckContext) -> list[Hit]:
    """97012 is billed with a device that is not a mechanical traction unit."""
    hits = []
    for index, service in ctx.traction_services:
        traction = service.traction
        device = traction.device_type if traction is not None else None
        if device is not None and device not in MECHANICAL_DEVICES:
            hits.append(
                Hit(
                    f"{service.code} is documented as {DEVICE_WORDS.get(device, device.value)}, which does not "
                    "apply a consistent, controlled mechanical force.",
                    index,
                    _where(index, "device_type"),
                )
            )
    return hits


@rule(
    "TRACTION_DECOMPRESSION_DEVICE",
    needs=("traction",),
    section=SECTION,
    severity=Severity.WARNING,
    source=cite(
        "NCD 160.16 Vertebral Axial Decompression (VAX-D is not covered by Medicare); HCPCS S9090 for payers that "
        "accept it (not valid for Medicare)",
        NCD_160_16_URL,
    ),
    fix="Do not bill decompression as 97012 to Medicare; give the patient an ABN before treatment. For other "
    "payers, check the policy: many call it unproven or want S9090.",
)
def decompression_device(ctx: CheckContext) -> list[Hit]:
    """97012 is billed for a decompression table (VAX-D, DRX and the like)."""
    hits = []
    for index, service in ctx.traction_services:
        traction = service.traction
        if traction is not None and traction.device_type is _DECOMPRESSION_TABLE:
            hits.append(
                Hit(
                    "Traction was given on a decompression table; Medicare does not cover vertebral axial "
                    "decompression and many plans treat it as unproven.",
                    index,
                    _where(index, "device_type"),
                )
            )
    return hits


@rule(
    "TRACTION_DEVICE_MISSING",
    needs=("traction",),
    section=SECTION,
    severity=Severity.ERROR,
    source=GUIDE_DOCUMENTATION,
    fix="Record the traction device type (motorized table, cervical unit...) and its name.",
)
def device_missing(ctx: CheckContext) -> list[Hit]:
    """The traction note does not say which device was used."""
    return _unrecorded(ctx, "device_type", "The note does not name the traction device.")


def _unrecorded(ctx: CheckContext, name: str, message: str) -> list[Hit]:
    """A hit at each traction line whose traction record leaves ``name`` out."""
    # The traction checks fill a list in a loop rather than a comprehension: on Python 3.11 a comprehension is a
    # function made and called (about 1,000 instructions), more than the rest of a check of one traction line.
    hits = []
    for index, service in ctx.traction_services:
        traction = service.traction
        if traction is None or getattr(traction, name) is None:
            hits.append(Hit(message, index, _where(index, name)))
    return hits


@rule(
    "TRACTION_BODY_REGION_MISSING",
    needs=("traction",),
    section=SECTION,
    severity=Severity.ERROR,
    source=GUIDE_DOCUMENTATION,
    fix="Record the body region treated (cervical, lumbar...).",
)
def body_region_missing(ctx: CheckContext) -> list[Hit]:
    """The traction note does not say which body region was treated."""
    return _unrecorded(ctx, "body_region", "The note does not name the body region treated.")


@rule(
    "TRACTION_FORCE_MISSING",
    needs=("traction",),
    section=SECTION,
    severity=Severity.ERROR,
    source=GUIDE_DOCUMENTATION,
    fix="Record the traction force in pounds, and any change of force during the session with the reason.",
)
def force_missing(ctx: CheckContext) -> list[Hit]:
    """The traction note does not record the force applied."""
    return _unrecorded(ctx, "force_lbs", "The note does not record the traction force.")


@rule(
    "TRACTION_SETTINGS_MISSING",
    needs=("traction",),
    section=SECTION,
    severity=Severity.ERROR,
    source=GUIDE_DOCUMENTATION,
    fix="Record the mode (static or intermittent), the angle of pull and, for intermittent traction, the "
    "hold and rest times.",
)
def settings_missing(ctx: CheckContext) -> list[Hit]:
    """The traction note lacks the mode, the angle, or the hold/rest times of intermittent traction."""
    hits = []
    for index, service in ctx.traction_services:
        traction = service.traction
        missing: list[str] = []
        if traction is None:
            missing += ("mode", "angle_deg")
        else:
            mode = traction.mode
            if mode is None:
                missing.append("mode")
            if traction.angle_deg is None:
                missing.append("angle_deg")
            if mode is _INTERMITTENT:
                if traction.hold_seconds is None:
                    missing.append("hold_seconds")
                if traction.rest_seconds is None:
                    missing.append("rest_seconds")
        if missing:
            hits.append(
                Hit(
                    "The traction settings are incomplete: no " + ", no ".join(_SETTINGS[m] for m in missing) + ".",
                    index,
                    _where(index, missing[0]),
                )
            )
    return hits


_SETTINGS = {"mode": "mode", "angle_deg": "angle", "hold_seconds": "hold time", "rest_seconds": "rest time"}


@rule(
    "TIME_NOT_DOCUMENTED",
    section=SECTION,
    severity=Severity.ERROR,
    source=bpm_15("220.3", "the treatment note records the total timed and total treatment minutes")
    + "; "
    + cpm(5, "20.2", "units follow the minutes documented"),
    fix="Record the start and end clock times of the service (or at least its minutes).",
)
def time_not_documented(ctx: CheckContext) -> Iterator[Hit]:
    """A service has neither start and end times nor minutes."""
    if None not in ctx.documented_minutes:
        return  # each service has its clock times or its minutes (what ``documented_minutes`` reads)
    for index, service in enumerate(ctx.services):
        if not service.has_clock_times and service.minutes is None:
            yield Hit(f"{service.code} has no documented time.", index, f"services[{index}].start_time")


@rule(
    "START_END_TIMES_MISSING",
    needs=("traction",),
    section=SECTION,
    severity=Severity.WARNING,
    source=bpm_15(
        "220.3", "total treatment time; start and end clock times are what a reviewer checks the minutes against"
    ),
    fix="Record the clock times the traction started and ended, not only its minutes.",
)
def start_end_times_missing(ctx: CheckContext) -> list[Hit]:
    """97012 is documented with minutes only, without start and end clock times."""
    hits = []
    for index, service in ctx.traction_services:
        minutes = service.minutes
        if minutes is not None and not service.has_clock_times:
            hits.append(
                Hit(
                    f"{service.code} records {minutes} minutes but no start and end times.",
                    index,
                    f"services[{index}].start_time",
                )
            )
    return hits


@rule(
    "TRACTION_BELOW_MIN_DURATION",
    needs=("traction",),
    section=SECTION,
    severity=Severity.WARNING,
    source="the payer's minimum traction time (parameter traction.minimum_minutes)",
    fix="Check the session length: if traction really ran this long, expect the payer to question it; if "
    "the times are wrong, correct them.",
)
def below_min_duration(ctx: CheckContext) -> list[Hit]:
    """97012 ran for less than the payer's minimum session length, where the payer sets one."""
    minimum = ctx.snapshot.resolved("traction.minimum_minutes")
    if minimum is None:
        return []
    hits = []
    documented = ctx.documented_minutes  # each service's minutes, worked out once a note (not the model's property)
    for index, service in ctx.traction_services:
        minutes = documented[index]
        if minutes is not None and minutes < minimum.integer:
            hits.append(
                Hit(
                    f"Traction lasted {minutes} minutes; {ctx.snapshot.payer.name} expects at least "
                    f"{minimum.value} minutes.",
                    index,
                    f"services[{index}].end_time" if service.has_clock_times else f"services[{index}].minutes",
                    reference=f"{minimum.reference} (in force from {minimum.effective.start})",
                )
            )
    return hits


@rule(
    "MONITORING_NOT_DOCUMENTED",
    needs=("traction",),
    section=SECTION,
    severity=Severity.WARNING,
    source=CPT_97012 + "; " + TREATMENT_NOTE,
    fix="Record the clock times you checked on the patient during traction.",
)
def monitoring_not_documented(ctx: CheckContext) -> list[Hit]:
    """The note does not show that the patient was checked on during traction."""
    hits = []
    for index, service in ctx.traction_services:
        traction = service.traction
        if traction is None or not traction.monitoring_checks:
            hits.append(
                Hit(
                    "The note records no check on the patient during traction.",
                    index,
                    _where(index, "monitoring_checks"),
                )
            )
    return hits


@rule(
    "PATIENT_RESPONSE_MISSING",
    needs=("traction",),
    section=SECTION,
    severity=Severity.WARNING,
    source=bpm_15("220.3", "the treatment note records the patient's response to the treatment"),
    fix="Record how the patient responded: symptoms before and after, tolerance, any adverse response.",
)
def patient_response_missing(ctx: CheckContext) -> list[Hit]:
    """The traction note does not record the patient's response."""
    hits = []
    for index, service in ctx.traction_services:
        if not (service.patient_response or "").strip():
            hits.append(
                Hit("The note does not record the patient's response.", index, f"services[{index}].patient_response")
            )
    return hits


@rule(
    "JUSTIFICATION_MISSING",
    needs=("traction",),
    section=SECTION,
    severity=Severity.ERROR,
    source=bpm_15("220.2", "services must be reasonable and necessary for the patient's condition"),
    fix="State the diagnosis and symptoms traction addresses and why traction was chosen over other treatment.",
)
def justification_missing(ctx: CheckContext) -> list[Hit]:
    """The traction note does not say why traction was medically necessary."""
    hits = []
    for index, service in ctx.traction_services:
        if not (service.clinical_justification or "").strip():
            hits.append(
                Hit(
                    "The note gives no clinical justification for traction.",
                    index,
                    f"services[{index}].clinical_justification",
                )
            )
    return hits


# A region's diagnosis prefixes, normalized once per parameter value: keyed by the value's id (an lru_cache would
# hash the whole tuple of codes on every note; ``domain.identity_memo``).
_NORMALIZED: IdentityMemo = {}


class _RegionCodes:
    """A region's diagnosis prefixes, normalized, and which diagnoses start with one: a list holds some fifty
    prefixes, and the same few diagnoses come back note after note, so each is tested once (up to _ANSWERS)."""

    __slots__ = ("_answers", "prefixes")

    def __init__(self, codes: tuple[str, ...]) -> None:
        self.prefixes = tuple(normalize_diagnosis(code) for code in codes)
        self._answers: BoundedMemo[str, bool] = BoundedMemo(_ANSWERS)

    def names(self, diagnosis: str) -> bool:
        """Whether the normalized ``diagnosis`` is of the region (starts with one of its prefixes)."""
        found = self._answers.get(diagnosis)
        if found is None:
            found = self._answers.keep(diagnosis, diagnosis.startswith(self.prefixes))
        return found

    def name_any(self, diagnoses: Iterable[str]) -> bool:
        """Whether one of the normalized ``diagnoses`` is of the region."""
        return any(self.names(diagnosis) for diagnosis in diagnoses)

    def name_pointed(self, diagnoses: tuple[str, ...], pointers: tuple[int, ...]) -> bool:
        """Whether a diagnosis a line points to is of the region; any of the note's (normalized) ``diagnoses`` when
        the line points to none of them. A loop, not lists of the pointed codes: this is asked of every traction
        line, and the answer is nearly always yes at the first diagnosis."""
        count, pointed = len(diagnoses), False
        for pointer in pointers:
            if 1 <= pointer <= count:
                if self.names(diagnoses[pointer - 1]):
                    return True
                pointed = True
        return False if pointed else self.name_any(diagnoses)


_ANSWERS = 4096


def _normalized(codes: tuple[str, ...]) -> _RegionCodes:
    return kept(_NORMALIZED, id(codes), lambda: _RegionCodes(codes), 64, codes)


# The parameter naming each region's diagnoses, spelled once rather than once a note.
_REGION_PARAMETERS = {region: f"traction.region_diagnoses.{region.value}" for region in BodyRegion}
_REGION_LISTS = "traction.region_diagnoses"  # the key of a snapshot's region lists (``Snapshot.derived``)


def _region_lists(snapshot: Snapshot) -> dict[BodyRegion, tuple[ResolvedValue, _RegionCodes]]:
    """Each region the snapshot lists diagnoses for, with its parameter and its prefixes: resolved once per snapshot
    (``Snapshot.derived``) rather than once per traction line."""
    lists = {}
    for region, name in _REGION_PARAMETERS.items():
        parameter = snapshot.resolved(name)
        if parameter is not None:
            lists[region] = (parameter, _normalized(parameter.codes))
    return lists


@rule(
    "TRACTION_REGION_DIAGNOSIS_MISMATCH",
    needs=("traction",),
    section=CONSISTENCY,
    severity=Severity.WARNING,
    source=bpm_15("220.2", "a service is necessary for the condition documented")
    + "; "
    + cite("ICD-10-CM Tabular List of Diseases, chapter 13: the code names the spinal region", ICD10_URL),
    fix="Point the traction line to the diagnosis of the region treated (add it if it is missing), or correct the "
    "body region if the note names the wrong one.",
)
def region_diagnosis_mismatch(ctx: CheckContext) -> list[Hit]:
    """Traction of one spinal region is billed with no diagnosis of that region (cervical traction, lumbar codes)."""
    snapshot = ctx.snapshot
    lists = snapshot.derived(_REGION_LISTS, lambda: _region_lists(snapshot))
    hits = []
    for index, service in ctx.traction_services:
        traction = service.traction
        region = traction.body_region if traction is not None else None
        listed = lists.get(region) if region is not None else None
        if region is None or listed is None:
            continue  # no region list (an extremity, pelvic traction, or a date before ICD-10-CM)
        parameter, region_codes = listed
        if region_codes.name_pointed(ctx.normalized_diagnoses, service.diagnosis_pointers):
            continue  # a diagnosis of the region treated: the usual line
        diagnoses = ctx.encounter.diagnoses
        considered = [diagnoses[p - 1] for p in service.diagnosis_pointers if 1 <= p <= len(diagnoses)]
        considered = considered or list(diagnoses)
        if not considered:
            continue
        others = [
            name.value
            for name in (BodyRegion.CERVICAL, BodyRegion.THORACIC, BodyRegion.LUMBAR)
            if name is not region
            and (other := lists.get(name)) is not None
            and other[1].name_any(normalize_diagnosis(code) for code in considered)
        ]
        where = f" name the {' and '.join(others)} spine instead" if others else " name no spinal region"
        hits.append(
            Hit(
                f"{region.value.capitalize()} traction is billed, but the diagnoses it points to "
                f"({', '.join(dotted_diagnosis(c) for c in considered)}){where}.",
                index,
                _where(index, "body_region"),
                reference=f"{parameter.reference} (in force from {parameter.effective.start})",
            )
        )
    return hits


@rule(
    "MONITORING_OUTSIDE_SESSION",
    needs=("traction",),
    section=CONSISTENCY,
    severity=Severity.WARNING,
    source=CPT_97012 + "; " + TREATMENT_NOTE,
    fix="Correct the monitoring times, or the start and end times of the traction: a check on the patient "
    "belongs within the session.",
)
def monitoring_outside_session(ctx: CheckContext) -> list[Hit]:
    """A time the note says the patient was checked on during traction falls outside the session's start and end."""
    hits = []
    for index, service in ctx.traction_services:
        traction, start, end = service.traction, service.start_time, service.end_time
        if traction is None or start is None or end is None:
            continue
        checks = traction.monitoring_checks
        for time in checks:
            if not start <= time <= end:
                break
        else:
            continue  # every check within the session: the usual line
        outside = [t for t in checks if not start <= t <= end]
        times = ", ".join(f"{t:%H:%M}" for t in outside)
        hits.append(
            Hit(
                f"The check{'s' if len(outside) > 1 else ''} on the patient at {times} "
                f"{'fall' if len(outside) > 1 else 'falls'} outside the traction session "
                f"({start:%H:%M}-{end:%H:%M}).",
                index,
                _where(index, "monitoring_checks"),
            )
        )
    return hits
