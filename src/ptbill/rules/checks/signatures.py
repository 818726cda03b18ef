"""An assistant's note co-signed by the supervising therapist, where the payer or the clinic's state requires it.

Medicare asks no co-signature of an assistant's daily note (Benefit Policy Manual ch.15 §220.3 asks for the
signature of the professional who furnished or supervised the service); some state practice acts and Medicaid
plans do. Whether it applies is the payer's parameter ``notes.assistant_cosign_required`` or the clinic's own
setting for its state (``NoteSignatures.clinic_requires_cosign``). The app hands the note's signatures over; a
single file's check has none and stays quiet.
"""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.domain.chart import NoteState
from ptbill.domain.finding import Severity
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule

SECTION = "Note types"
CLINIC_SETTING = "the clinic's settings: its state's practice act requires a co-signature of assistants' notes"


@rule(
    "NOTE_COSIGN_MISSING",
    needs=(
        "signatures",
        "assistant",
    ),
    section=SECTION,
    severity=Severity.ERROR,
    source="the payer's contract or provider manual, or the state's physical therapy practice act (parameter "
    "notes.assistant_cosign_required, or the clinic's setting for its state)",
    fix="The supervising therapist reads the signed note and co-signs it on the note's page; then it is billed.",
    rises=True,
)
def note_cosign_missing(ctx: CheckContext) -> Iterator[Hit]:
    """A PTA's or OTA's signed note waits for the supervising therapist's co-signature before it is billed.

    Told as information while the note is a draft; an error once it is signed and until it is co-signed. A
    billed note is past it.
    """
    signatures, encounter = ctx.signatures, ctx.encounter
    if signatures is None or not encounter.furnished_by_assistant:
        return
    if signatures.state is NoteState.BILLED or signatures.cosigned_by is not None:
        return
    required = ctx.snapshot.resolved("notes.assistant_cosign_required")
    by_payer = required is not None and required.flag
    if not by_payer and not signatures.clinic_requires_cosign:
        return
    why = f"{ctx.snapshot.payer.name} requires it" if by_payer else "the clinic's state requires it"
    reference = f"{required.reference} (in force from {required.effective.start})" if by_payer and required else None
    supervisor = encounter.supervising_provider
    who = supervisor.name if supervisor is not None else "the supervising therapist"
    if signatures.state is NoteState.DRAFT:
        yield Hit(
            f"Once signed, this note waits for co-signature by {who} before it is billed ({why}).",
            None,
            "supervising_provider",
            reference=reference or CLINIC_SETTING,
            severity=Severity.INFO,
        )
        return
    provider = encounter.rendering_provider
    yield Hit(
        f"Waiting for co-signature by {who}: {provider.credential.value} {provider.name}'s note is not billed until "
        f"a supervising therapist co-signs it ({why}).",
        None,
        "supervising_provider",
        reference=reference or CLINIC_SETTING,
    )
