"""Use case: from encounter files to claims in the format the biller asks for.

Checks each encounter with the engine, refuses blocked ones unless told otherwise, builds the claims,
and writes 837P batches (one interchange per receiver), CMS-1500 PDFs or FHIR Claims.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from pathlib import Path

from ptbill.claims.build import ChargeMaster, ClaimBuildError, build_claim
from ptbill.claims.trading import TradingConfig
from ptbill.claims.x12_837p.writer import Batch, Trading, stream_batch, write_batch
from ptbill.domain.claim import Claim, ClaimFrequency
from ptbill.domain.clock import SYSTEM_CLOCK, local_now
from ptbill.domain.encounter_json import parse_encounter
from ptbill.domain.errors import EncounterFormatError, PtbillError
from ptbill.domain.finding import Finding
from ptbill.reference.catalog import ReferenceCatalog
from ptbill.rules.engine import check_encounter
from ptbill.x12.control_numbers import ControlNumbers, ControlNumberSource


@dataclass
class ClaimRun:
    claims: list[Claim] = field(default_factory=list)
    refused: list[tuple[str, list[str]]] = field(default_factory=list)  # (file, reasons)
    problems: list[str] = field(default_factory=list)  # unreadable input, one line each

    def extend(self, other: ClaimRun) -> None:
        """Add a later part's claims, refusals and problems after this one's (``ptbill claim --jobs``)."""
        self.claims.extend(other.claims)
        self.refused.extend(other.refused)
        self.problems.extend(other.problems)


def _blocking(findings: Sequence[Finding]) -> list[str]:
    return [f"{f.rule}: {f.message}" for f in findings if f.severity.value == "error"]


def claims_from_files(
    files: Sequence[str],
    read: Callable[[str], bytes],
    catalog: ReferenceCatalog,
    *,
    charge_master: ChargeMaster | None = None,
    allow_blocked: bool = False,
    frequency: ClaimFrequency = ClaimFrequency.ORIGINAL,
    original_claim_number: str | None = None,
    advance: Callable[[], None] = lambda: None,
) -> ClaimRun:
    run = ClaimRun()
    for name in files:
        try:
            encounter = parse_encounter(read(name), name)
        except OSError as exc:
            run.problems.append(f"{name}: cannot read the file: {exc.strerror or exc}")
            advance()
            continue
        except EncounterFormatError as exc:
            run.problems.extend(f"{name}: {p}" for p in exc.problems)
            advance()
            continue
        report = check_encounter(encounter, catalog, today=SYSTEM_CLOCK.today())
        blocking = _blocking(report.findings)
        if blocking and not allow_blocked:
            run.refused.append((name, blocking))
            advance()
            continue
        try:
            run.claims.append(
                build_claim(
                    encounter,
                    report.claim_lines,
                    catalog,
                    charge_master,
                    frequency=frequency,
                    original_claim_number=original_claim_number,
                )
            )
        except ClaimBuildError as exc:
            run.refused.append((name, exc.reasons))
        except PtbillError as exc:
            run.refused.append((name, [str(exc)]))
        advance()
    return run


def write_837p(
    claims: Sequence[Claim], trading: TradingConfig, numbers: ControlNumberSource, created: datetime | None = None
) -> list[Batch]:
    """One interchange per receiver, in the order receivers first appear."""
    created = created if created is not None else local_now()
    return [write_batch(group, partner, numbers, created=created) for partner, group in _by_receiver(claims, trading)]


def stream_837p(
    claims: Sequence[Claim], trading: TradingConfig, numbers: ControlNumberSource, created: datetime | None = None
) -> Iterator[str]:
    """``write_837p``'s text in pieces, one transaction set at a time. Every claim is validated and every
    control number taken before this returns, so a refused claim stops the run before any byte is out."""
    created = created if created is not None else local_now()
    streams = [
        stream_batch(group, partner, numbers, created=created)[1] for partner, group in _by_receiver(claims, trading)
    ]
    return chain.from_iterable(streams)


def _by_receiver(claims: Sequence[Claim], trading: TradingConfig) -> list[tuple[Trading, list[Claim]]]:
    by_receiver: dict[tuple[str, str], list[Claim]] = {}
    settings = {}
    for claim in claims:
        partner = trading.for_payer(claim.payer.id)
        key = (partner.receiver_id, partner.submitter_id)
        by_receiver.setdefault(key, []).append(claim)
        settings[key] = partner
    return [(settings[key], group) for key, group in by_receiver.items()]


CONTROL_NUMBER_FILE = "control-numbers.sqlite3"


def default_control_numbers(data_dir: Path) -> ControlNumbers:
    """The numbers of ``ptbill claim``, which has no database: a file in the data folder."""
    return ControlNumbers(data_dir / CONTROL_NUMBER_FILE)
