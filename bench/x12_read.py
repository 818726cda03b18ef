"""Benchmark: read a 10,000-claim 837P with ptbill's streaming reader, pyx12's X12Reader and pyx12's validator.

The file is the TR3 example ``commercial-health-insurance.edi`` (shared/external/x12, stupidedi) with its
subscriber/patient/claim block repeated, HL ids renumbered, 5,000 claims per ST (the TR3 limit), written to
a temporary folder. Run: ``.venv/bin/python bench/x12_read.py [--claims 10000] [--no-validation]``.
"""

from __future__ import annotations

import argparse
import io
import logging
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ptbill.claims.x12_837p.reader import read_837p
from ptbill.x12.envelope import iter_transactions
from ptbill.x12.reader import read_segments

SAMPLE = (
    Path(__file__).resolve().parents[1].parent
    / "shared/external/x12/stupidedi/837P_005010X222A1/commercial-health-insurance.edi"
)
CLAIMS_PER_TRANSACTION = 5000
T = TypeVar("T")


def build_file(sample: Path, claims: int) -> str:
    """The sample's header and billing provider once per ST, then its subscriber HL block once per claim."""
    segments = [s for s in sample.read_text().split("~") if s.strip()]
    isa, gs = segments[0], segments[1]
    st_index = next(i for i, s in enumerate(segments) if s.startswith("ST*"))
    se_index = next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    first_subscriber = next(i for i, s in enumerate(segments) if s.startswith("HL*") and s.split("*")[3] == "22")
    header = segments[st_index + 1 : first_subscriber]  # BHT .. 2010AB
    block = segments[first_subscriber:se_index]  # 2000B, 2010BA/BB, 2000C, 2010CA, 2300, 2400s
    gs06 = gs.split("*")[6]
    out = [isa, gs]
    transactions = 0
    for start in range(0, claims, CLAIMS_PER_TRANSACTION):
        transactions += 1
        control = f"{transactions:04d}"
        body = [f"ST*837*{control}*005010X222A1", *header]
        next_hl = 2
        for number in range(start, min(claims, start + CLAIMS_PER_TRANSACTION)):
            renumbered: dict[str, str] = {"1": "1"}
            for segment in block:
                parts = segment.split("*")
                if parts[0] == "HL":
                    renumbered[parts[1]] = str(next_hl)
                    parts[1], parts[2] = str(next_hl), renumbered[parts[2]]
                    next_hl += 1
                elif parts[0] == "CLM":
                    parts[1] = f"{parts[1]}-{number}"
                body.append("*".join(parts))
        body.append(f"SE*{len(body) + 1}*{control}")
        out.extend(body)
    out.append(f"GE*{transactions}*{gs06}")
    out.append(f"IEA*1*{isa.split('*')[13]}")
    return "~\n".join(out) + "~\n"


def timed(label: str, work: Callable[[], T], results: dict[str, float]) -> T:
    start = time.perf_counter()
    value = work()
    results[label] = time.perf_counter() - start
    return value


def ptbill_tokens(path: Path) -> int:
    return sum(1 for _ in read_segments(path))


def ptbill_envelopes(path: Path) -> int:
    return sum(len(t.problems) for t in iter_transactions(path))


def ptbill_claims(path: Path) -> tuple[int, int, int]:
    claims = mapped = problems = 0
    for transaction in read_837p(path):
        claims += len(transaction.claims)
        mapped += sum(c.claim is not None for c in transaction.claims)
        problems += len(transaction.all_problems())
    return claims, mapped, problems


def pyx12_tokens(path: Path) -> int:
    import pyx12.x12file

    reader = pyx12.x12file.X12Reader(str(path))
    count = sum(1 for _ in reader)
    reader.cleanup()  # pyx12 checks the trailers' counts here
    reader.close()
    return count


def pyx12_validate(path: Path) -> bool:
    import pyx12.params
    import pyx12.x12n_document

    return bool(
        pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(), src_file=str(path), fd_997=io.StringIO(), fd_html=None, fd_json=None
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--no-validation", action="store_true", help="skip pyx12's full validation (the slow one)")
    args = parser.parse_args()
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)  # its findings are logged; none are expected here

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "claims.837"
        path.write_text(build_file(SAMPLE, args.claims), encoding="ascii")
        size = path.stat().st_size
        results: dict[str, float] = {}
        segments = timed("ptbill tokenize (read_segments)", lambda: ptbill_tokens(path), results)
        envelope_problems = timed("ptbill envelopes (iter_transactions)", lambda: ptbill_envelopes(path), results)
        claims = timed("ptbill 837P claims (read_837p)", lambda: ptbill_claims(path), results)
        pyx12_count = timed("pyx12 X12Reader (tokenize + trailer counts)", lambda: pyx12_tokens(path), results)
        valid: bool | str = "skipped"
        if not args.no_validation:
            valid = timed("pyx12 x12n_document (full validation)", lambda: pyx12_validate(path), results)
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"file: {args.claims:,} claims, {segments:,} segments, {size / 1e6:.1f} MB ({SAMPLE.name} repeated)")
    print(f"ptbill: claims/mapped/problems = {claims}, envelope problems = {envelope_problems}")
    print(f"pyx12: X12Reader segments = {pyx12_count:,}, x12n_document valid = {valid}")
    for label, seconds in results.items():
        print(f"  {label:<45} {seconds:7.2f} s  {segments / seconds:>10,.0f} segments/s")
    ours_tokens = results["ptbill tokenize (read_segments)"]
    ours_envelopes = results["ptbill envelopes (iter_transactions)"]
    ours_claims = results["ptbill 837P claims (read_837p)"]
    theirs_tokens = results["pyx12 X12Reader (tokenize + trailer counts)"]
    print(f"ratio pyx12 X12Reader / ptbill tokenize:          {theirs_tokens / ours_tokens:5.1f}x")
    print(f"ratio pyx12 X12Reader / ptbill envelopes:         {theirs_tokens / ours_envelopes:5.1f}x")
    if "pyx12 x12n_document (full validation)" in results:
        theirs_full = results["pyx12 x12n_document (full validation)"]
        print(f"ratio pyx12 validation / ptbill read_837p:       {theirs_full / ours_claims:5.1f}x")
    print(f"peak RSS of this process: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
