"""`ptbill claim`'s work: claims built over ``--jobs`` processes, the 837P written one ST/SE at a time.

Each process, this one and ``--jobs`` - 1 forked children (``cli.fanout.divided``), checks and builds the
claims of a chunk of files at a time (``services.claims.claims_from_files``); the parts come back in the
files' order and are joined, so the output is the same for any ``--jobs``. The 837P goes out transaction set
by transaction set (``services.claims.stream_837p``), to standard output or to a temporary file beside ``-o``
that takes its name once complete: a failure leaves no half-written batch.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ptbill.cli.fanout import chunked, divided

if TYPE_CHECKING:
    from typing import Any

    from ptbill.claims.build import ChargeMaster
    from ptbill.claims.trading import TradingConfig
    from ptbill.domain.claim import ClaimFrequency
    from ptbill.services.claims import ClaimRun

CHUNK = 50  # files a process builds at a time


@dataclass(frozen=True, slots=True)
class Options:
    charge_master: ChargeMaster | None
    allow_blocked: bool
    frequency: ClaimFrequency
    original_claim_number: str | None
    # Set for the 837P: each process then writes its claims' text too (``services.claims.render_837p``), and
    # hands back short strings rather than Claim values for the parent to pickle, hold and write.
    trading: TradingConfig | None = None


def claims_of_chunk(files: list[tuple[str, bytes | None]], options: Options) -> ClaimRun[Any]:
    """Check and build one chunk's claims, and write them when the output is an 837P: what each process
    does. Standard input comes read already."""
    from ptbill.reference.catalog import default_catalog
    from ptbill.services.claims import ClaimRun, claims_from_files, render_837p

    given = {name: text for name, text in files if text is not None}

    def read(name: str) -> bytes:
        return given[name] if name in given else read_file(name)

    run = claims_from_files(
        [name for name, _ in files],
        read,
        default_catalog(),
        charge_master=options.charge_master,
        allow_blocked=options.allow_blocked,
        frequency=options.frequency,
        original_claim_number=options.original_claim_number,
    )
    if options.trading is None:
        return run
    return ClaimRun(render_837p(run.claims, options.trading), run.refused, run.problems)


def read_file(name: str) -> bytes:
    """``Path(name).read_bytes()`` in fewer steps (a third of its time per note): no Path, no buffered
    reader, the same OSError (a folder fails at the first read, with "Is a directory")."""
    descriptor = os.open(name, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        pieces = []
        while piece := os.read(descriptor, READ_SIZE):
            pieces.append(piece)
    finally:
        os.close(descriptor)
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


READ_SIZE = 256 * 1024  # a note is 2 to 5 KB: one read, and one more that finds the end


def build_claims(files: tuple[str, ...], options: Options, jobs: int) -> ClaimRun[Any]:
    """Every file's claim (or its 837P text, when ``options.trading`` is set), refusals and problems, in
    the files' order for any ``jobs``."""
    from ptbill.cli import render
    from ptbill.services.claims import ClaimRun

    named = [(name, sys.stdin.buffer.read() if name == "-" else None) for name in files]
    run: ClaimRun[Any] = ClaimRun()
    with render.progress(len(files), "Building claims") as advance:
        for number, part in enumerate(divided(claims_of_chunk, list(chunked(named, CHUNK)), jobs, options)):
            run.extend(part)
            for _ in range(min(CHUNK, len(files) - number * CHUNK)):
                advance()
    return run


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The collector's young threshold raised while ``ptbill claim`` builds and numbers its claims, and put
    back after. A note's objects die by their reference counts, not by the collector, yet each young collection
    scans every tracked object made since the last (the chunk's notes, claims and texts): at the default
    threshold that was ~10 µs of CPU a note. The forked workers inherit the threshold."""
    thresholds = gc.get_threshold()
    gc.set_threshold(BATCH_GC_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


BATCH_GC_THRESHOLD = 100_000  # tracked objects made (less those freed) between two young collections


def write_pieces(pieces: Iterable[str], output: str | None, encoding: str) -> None:
    """Text in pieces to standard output, or to ``output`` through a temporary file renamed once complete."""
    if output is None:
        for piece in pieces:
            sys.stdout.buffer.write(piece.encode(encoding))
        sys.stdout.flush()
        return
    target = Path(output)
    temporary = None
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or Path("."))
        with os.fdopen(descriptor, "wb") as handle:
            for piece in pieces:
                handle.write(piece.encode(encoding))
        os.replace(temporary, target)
    except OSError as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        click.echo(f"claim: cannot write {output}: {error.strerror or error}", err=True)
        sys.exit(2)
