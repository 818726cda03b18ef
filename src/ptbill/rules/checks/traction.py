"""Documentation a mechanical-traction (97012) line needs to survive review.

Sources: the CPT definition of 97012 as a mechanical modality (manual traction is part of 97140),
NCD 160.16 on vertebral axial decompression, Medicare Benefit Policy Manual ch.15 §220.3 on what a
treatment note records, and the billing guide's documentation list (facts.md §2.1, §6.1, §7).
"""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.domain.encounter import DeviceType, Service, TractionMode
from ptbill.domain.finding import Severity
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule

SECTION = "Traction documentation (97012)"
DEVICE_WORDS = {
    DeviceType.MANUAL: "hands-on (manual) traction",
    DeviceType.ROLLER_TABLE: "a roller table",
    DeviceType.OVER_DOOR_WEIGHTS: "over-the-door weights",
    DeviceType.INVERSION_TABLE: "an inversion table",
    DeviceType.PNEUMATIC_HOME_UNIT: "a pneumatic home unit",
    DeviceType.OTHER: "another kind of device",
}
MECHANICAL_DEVICES = frozenset({DeviceType.MOTORIZED_TABLE, DeviceType.CERVICAL_DEVICE, DeviceType.DECOMPRESSION_TABLE})
CPT_97012 = "CPT 97012 is mechanical traction; manual traction is reported with 97140 (facts.md §2.1)"
TREATMENT_NOTE = "Medicare Benefit Policy Manual (Pub. 100-02) ch.15 §220.3, treatment note content"
GUIDE_DOCUMENTATION = "CPT 97012 billing guide, '4. Documentation Requirements'; " + TREATMENT_NOTE


def _traction_services(ctx: CheckContext) -> Iterator[tuple[int, Service]]:
    for index, service in enumerate(ctx.services):
        if ctx.is_traction(service.code):
            yield index, service


def _where(index: int, name: str) -> str:
    return f"services[{index}].traction.{name}"


@rule(
    "TRACTION_NOT_MECHANICAL",
    section=SECTION,
    severity=Severity.ERROR,
    source=CPT_97012,
    fix="Bill hands-on (manual) traction as part of manual therapy (97140) with its minutes, or record "
    "the mechanical device actually used.",
)
def not_mechanical(ctx: CheckContext) -> Iterator[Hit]:
    """97012 is billed with a device that is not a mechanical traction unit."""
    for index, service in _traction_services(ctx):
        device = service.traction.device_type if service.traction else None
        if device is not None and device not in MECHANICAL_DEVICES:
            yield Hit(
                f"{service.code} is documented as {DEVICE_WORDS.get(device, device.value)}, which does not apply "
                "a consistent, controlled mechanical force.",
                service=index,
                field=_where(index, "device_type"),
            )


@rule(
    "TRACTION_DECOMPRESSION_DEVICE",
    section=SECTION,
    severity=Severity.WARNING,
    source="NCD 160.16 Vertebral Axial Decompression (VAX-D is not covered by Medicare); HCPCS S9090 for "
    "payers that accept it (facts.md §6.1, §6.4)",
    fix="Do not bill decompression as 97012 to Medicare; give the patient an ABN before treatment. For other "
    "payers, check the policy: many call it unproven or want S9090.",
)
def decompression_device(ctx: CheckContext) -> Iterator[Hit]:
    """97012 is billed for a decompression table (VAX-D, DRX and the like)."""
    for index, service in _traction_services(ctx):
        if service.traction and service.traction.device_type is DeviceType.DECOMPRESSION_TABLE:
            yield Hit(
                "Traction was given on a decompression table; Medicare does not cover vertebral axial "
                "decompression and many plans treat it as unproven.",
                service=index,
                field=_where(index, "device_type"),
            )


@rule(
    "TRACTION_DEVICE_MISSING",
    section=SECTION,
    severity=Severity.ERROR,
    source=GUIDE_DOCUMENTATION,
    fix="Record the traction device type (motorized table, cervical unit...) and its name.",
)
def device_missing(ctx: CheckContext) -> Iterator[Hit]:
    """The traction note does not say which device was used."""
    for index, service in _traction_services(ctx):
        if service.traction is None or service.traction.device_type is None:
            yield Hit("The note does not name the traction device.", index, _where(index, "device_type"))


@rule(
    "TRACTION_BODY_REGION_MISSING",
    section=SECTION,
    severity=Severity.ERROR,
    source=GUIDE_DOCUMENTATION,
    fix="Record the body region treated (cervical, lumbar...).",
)
def body_region_missing(ctx: CheckContext) -> Iterator[Hit]:
    """The traction note does not say which body region was treated."""
    for index, service in _traction_services(ctx):
        if service.traction is None or service.traction.body_region is None:
            yield Hit("The note does not name the body region treated.", index, _where(index, "body_region"))


@rule(
    "TRACTION_FORCE_MISSING",
    section=SECTION,
    severity=Severity.ERROR,
    source=GUIDE_DOCUMENTATION + "; 'Amount of Force Applied'",
    fix="Record the traction force in pounds, and any change of force during the session with the reason.",
)
def force_missing(ctx: CheckContext) -> Iterator[Hit]:
    """The traction note does not record the force applied."""
    for index, service in _traction_services(ctx):
        if service.traction is None or service.traction.force_lbs is None:
            yield Hit("The note does not record the traction force.", index, _where(index, "force_lbs"))


@rule(
    "TRACTION_SETTINGS_MISSING",
    section=SECTION,
    severity=Severity.ERROR,
    source=GUIDE_DOCUMENTATION + "; 'Device and Settings Used'",
    fix="Record the mode (static or intermittent), the angle of pull and, for intermittent traction, the "
    "hold and rest times.",
)
def settings_missing(ctx: CheckContext) -> Iterator[Hit]:
    """The traction note lacks the mode, the angle, or the hold/rest times of intermittent traction."""
    for index, service in _traction_services(ctx):
        traction = service.traction
        missing: list[str] = []
        if traction is None or traction.mode is None:
            missing.append("mode")
        if traction is None or traction.angle_deg is None:
            missing.append("angle_deg")
        if traction is not None and traction.mode is TractionMode.INTERMITTENT:
            missing += [name for name in ("hold_seconds", "rest_seconds") if getattr(traction, name) is None]
        if missing:
            words = {"mode": "mode", "angle_deg": "angle", "hold_seconds": "hold time", "rest_seconds": "rest time"}
            yield Hit(
                "The traction settings are incomplete: no " + ", no ".join(words[m] for m in missing) + ".",
                index,
                _where(index, missing[0]),
            )


@rule(
    "TIME_NOT_DOCUMENTED",
    section=SECTION,
    severity=Severity.ERROR,
    source=TREATMENT_NOTE + ": total timed and total treatment minutes; CPT 97012 billing guide 'Document the "
    "exact duration'",
    fix="Record the start and end clock times of the service (or at least its minutes).",
)
def time_not_documented(ctx: CheckContext) -> Iterator[Hit]:
    """A service has neither start and end times nor minutes."""
    for index, service in enumerate(ctx.services):
        if not service.has_clock_times and service.minutes is None:
            yield Hit(f"{service.code} has no documented time.", index, f"services[{index}].start_time")


@rule(
    "START_END_TIMES_MISSING",
    section=SECTION,
    severity=Severity.WARNING,
    source="CPT 97012 billing guide: 'Recording the start and end times can help substantiate' the session; "
    "AAPC quoting Medicare: record 'the actual beginning or ending time of treatment'",
    fix="Record the clock times the traction started and ended, not only its minutes.",
)
def start_end_times_missing(ctx: CheckContext) -> Iterator[Hit]:
    """97012 is documented with minutes only, without start and end clock times."""
    for index, service in _traction_services(ctx):
        if not service.has_clock_times and service.minutes is not None:
            yield Hit(
                f"{service.code} records {service.minutes} minutes but no start and end times.",
                index,
                f"services[{index}].start_time",
            )


@rule(
    "TRACTION_BELOW_MIN_DURATION",
    section=SECTION,
    severity=Severity.WARNING,
    source="the payer's minimum traction time (parameter traction.minimum_minutes)",
    fix="Check the session length: if traction really ran this long, expect the payer to question it; if "
    "the times are wrong, correct them.",
)
def below_min_duration(ctx: CheckContext) -> Iterator[Hit]:
    """97012 ran for less than the payer's minimum session length, where the payer sets one."""
    minimum = ctx.snapshot.resolved("traction.minimum_minutes")
    if minimum is None:
        return
    for index, service in _traction_services(ctx):
        minutes = service.documented_minutes
        if minutes is not None and minutes < minimum.integer:
            yield Hit(
                f"Traction lasted {minutes} minutes; {ctx.snapshot.payer.name} expects at least "
                f"{minimum.value} minutes.",
                index,
                f"services[{index}].end_time" if service.has_clock_times else f"services[{index}].minutes",
                reference=f"{minimum.reference} (in force from {minimum.effective.start})",
            )


@rule(
    "MONITORING_NOT_DOCUMENTED",
    section=SECTION,
    severity=Severity.WARNING,
    source="97012 is a supervised modality: the provider sets up, monitors and adjusts (facts.md §2.1; CPT "
    "97012 billing guide, '2. Supervised Modality')",
    fix="Record the clock times you checked on the patient during traction.",
)
def monitoring_not_documented(ctx: CheckContext) -> Iterator[Hit]:
    """The note does not show that the patient was checked on during traction."""
    for index, service in _traction_services(ctx):
        if service.traction is None or not service.traction.monitoring_checks:
            yield Hit(
                "The note records no check on the patient during traction.",
                index,
                _where(index, "monitoring_checks"),
            )


@rule(
    "PATIENT_RESPONSE_MISSING",
    section=SECTION,
    severity=Severity.WARNING,
    source=GUIDE_DOCUMENTATION + "; 'Document patient responses'",
    fix="Record how the patient responded: symptoms before and after, tolerance, any adverse response.",
)
def patient_response_missing(ctx: CheckContext) -> Iterator[Hit]:
    """The traction note does not record the patient's response."""
    for index, service in _traction_services(ctx):
        if not (service.patient_response or "").strip():
            yield Hit("The note does not record the patient's response.", index, f"services[{index}].patient_response")


@rule(
    "JUSTIFICATION_MISSING",
    section=SECTION,
    severity=Severity.ERROR,
    source=GUIDE_DOCUMENTATION + "; 'Clinical Justification'; Medicare Benefit Policy Manual ch.15 §220 "
    "(reasonable and necessary)",
    fix="State the diagnosis and symptoms traction addresses and why traction was chosen over other treatment.",
)
def justification_missing(ctx: CheckContext) -> Iterator[Hit]:
    """The traction note does not say why traction was medically necessary."""
    for index, service in _traction_services(ctx):
        if not (service.clinical_justification or "").strip():
            yield Hit(
                "The note gives no clinical justification for traction.",
                index,
                f"services[{index}].clinical_justification",
            )
