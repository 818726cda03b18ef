"""Benchmark: load, install and reopen a million NCCI PTP edits and a million MUE rows; time lookups.

Synthetic files in CMS's layouts (notice lines, wrapped PTP header, quoted MUE notice) go to a
temporary folder; nothing in them is CMS data. Run: ``.venv/bin/python bench/ncci_mue_load.py``.
Targets: a million PTP rows parse and install in at most 30 s; a lookup costs the same on a 10k-row
table as on a 1M-row one.
"""

from __future__ import annotations

import argparse
import random
import resource
import string
import tempfile
import time
import zipfile
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from ptbill.reference.mue import MUE_FILE_NAME, MueTable, installed_mue_table
from ptbill.reference.ncci import PTP_FILE_NAME, PtpTable, installed_ptp_table

PTP_PREAMBLE = (
    "CPT only copyright 2025 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)
MUE_PREAMBLE = (
    '"Current Procedural Terminology (CPT) codes, descriptions and other data only are copyright 2025 '
    "American Medical Association. All rights reserved. \n\nCPT® is a registered trademark of the American "
    'Medical Association.",,,\r\n'
    '"HCPCS/\nCPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\r\n'
)
RATIONALES = [
    "CPT Manual or CMS manual coding instruction",
    "Mutually exclusive procedures",
    "Misuse of Column Two code with Column One code",
    "Standards of medical/surgical practice",
    "HCPCS/CPT procedure code definition",
    "More extensive procedure",
]
MAI = ["1 Line Edit", "2 Date of Service Edit: Policy", "3 Date of Service Edit: Clinical"]
MUE_RATIONALES = ["Nature of Service/Procedure", "Code Descriptor / CPT Instruction", "Clinical: Data"]
QUARTER_STARTS = [f"{y}{m:02d}01" for y in range(1996, 2027) for m in (1, 4, 7, 10)]
QUARTER_ENDS = [f"{y}{m:02d}{d}" for y in range(2000, 2026) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))]


def generate_ptp(folder: Path, rows: int, rng: random.Random) -> tuple[list[Path], list[tuple[str, str]]]:
    """Four ZIPs like CMS's f1–f4; one pair in ten has two dated versions. Returns the ZIPs and pairs."""
    column1 = [f"{n:05d}" for n in range(10000, 12000)]
    column2 = [f"{n:05d}" for n in range(20000, 21000)] + [f"G{n:04d}" for n in range(500)]
    lines: list[str] = []
    pairs: list[tuple[str, str]] = []
    for k in range(rows):
        if len(lines) >= rows:
            break
        a, b = column1[k % len(column1)], column2[k // len(column1)]
        pairs.append((a, b))
        rationale = RATIONALES[k % len(RATIONALES)]
        if k % 10 == 0:
            lines.append(f"{a}\t{b}\t\t20100101\t20191231\t0\t{rationale}")
            lines.append(f"{a}\t{b}\t\t20200101\t*\t1\t{rationale}")
        else:
            deletion = rng.choice(QUARTER_ENDS) if k % 7 == 0 else "*"
            start = "19960101" if deletion != "*" else rng.choice(QUARTER_STARTS)
            lines.append(f"{a}\t{b}\t{'*' if start == '19960101' else ''}\t{start}\t{deletion}\t{k % 2}\t{rationale}")
    del lines[rows:]
    zips = []
    quarter = len(lines) // 4 + 1
    for part in range(4):
        name = f"ccipra-v323r0-f{part + 1}"
        body = PTP_PREAMBLE + "".join(f"{line}\r\n" for line in lines[part * quarter : (part + 1) * quarter])
        path = folder / f"medicare-ncci-2026q4-practitioner-ptp-edits-{name}.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.writestr(f"{name}.TXT", body.encode("latin-1"))
        zips.append(path)
    return zips, pairs


def generate_mue(folder: Path, rows: int) -> tuple[Path, list[str]]:
    alphabet = string.digits + string.ascii_uppercase
    codes = []
    for n in range(rows):
        digits, rest = [], n
        for _ in range(5):
            rest, remainder = divmod(rest, 36)
            digits.append(alphabet[remainder])
        codes.append("".join(reversed(digits)))
    body = MUE_PREAMBLE + "".join(
        f"{code},{n % 7},{MAI[n % 3]},{MUE_RATIONALES[n % 3]}\r\n" for n, code in enumerate(codes)
    )
    path = folder / "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv"
    path.write_bytes(body.encode("latin-1"))
    return path, codes


def since(started: float) -> float:
    return time.perf_counter() - started


def ptp_queries(
    pairs: Sequence[tuple[str, str]], count: int, rng: random.Random
) -> tuple[list[tuple[str, str, date]], list[tuple[str, str, date]]]:
    """Half that hit (existing pairs, random order and dates) and half that miss (pairs never listed)."""
    days = [date(2024, 1, 1) + timedelta(days=n) for n in range(1000)]
    hits = []
    misses = []
    for _ in range(count // 2):
        a, b = rng.choice(pairs)
        hits.append((a, b, rng.choice(days)) if rng.random() < 0.5 else (b, a, rng.choice(days)))
        other = rng.choice(pairs)[0]
        misses.append((a, other, rng.choice(days)))  # two column-1 codes: never a pair here
    return hits, misses


def per_lookup_ns(table: PtpTable, queries: list[tuple[str, str, date]]) -> float:
    lookup = table.lookup
    started = time.perf_counter()
    for a, b, day in queries:
        lookup(a, b, day)
    return (time.perf_counter() - started) / len(queries) * 1e9


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_ptp(folder: Path, data_dir: Path, rows: int, lookups: int, rng: random.Random) -> None:
    started = time.perf_counter()
    zips, pairs = generate_ptp(folder, rows, rng)
    print(f"generated {rows:,} PTP rows in 4 ZIPs in {since(started):.1f} s")

    started = time.perf_counter()
    table = PtpTable.load_cms_files(zips)
    parse_s = since(started)
    started = time.perf_counter()
    table.install(data_dir)
    install_s = since(started)
    started = time.perf_counter()
    lazy = installed_ptp_table(data_dir)
    reopen_s = since(started)
    started = time.perf_counter()
    preloaded = PtpTable.open(data_dir / PTP_FILE_NAME, preload=True)
    preload_s = since(started)
    assert lazy is not None
    assert len(lazy) == len(preloaded) == len(table) == rows
    compiled_mb = (data_dir / PTP_FILE_NAME).stat().st_size / 1e6
    print(
        f"PTP {len(table):,} rows ({len(pairs):,} pairs): parse {parse_s:.1f} s + install {install_s:.1f} s "
        f"= {parse_s + install_s:.1f} s (target <= 30 s); reopen {reopen_s * 1e3:.1f} ms "
        f"(preloaded: {preload_s:.1f} s); compiled file {compiled_mb:.0f} MB; peak RSS {peak_rss_mb():.0f} MB"
    )
    del table

    small_file = folder / "ccipra-v323r0-f1.TXT"
    with zipfile.ZipFile(zips[0]) as archive:
        first = archive.read("ccipra-v323r0-f1.TXT").decode("latin-1").split("\r\n")
    small_file.write_text("\r\n".join(first[: 6 + 10_000]) + "\r\n", encoding="latin-1")
    small_dir = folder / "small"
    PtpTable.load_cms_file(small_file).install(small_dir)
    small_pairs = sorted({(e.column1, e.column2) for e in PtpTable.open(small_dir / PTP_FILE_NAME).edits()})
    print(f"PTP lookups, ns each ({lookups:,} per cell; hits: half in reversed order; misses: pairs never listed)")
    print("  table           opened as            hit    miss")
    for name, folder_of, subject_pairs in (("10k rows", small_dir, small_pairs), (f"{rows:,} rows", data_dir, pairs)):
        hits, misses = ptp_queries(subject_pairs, lookups, rng)
        compiled = folder_of / PTP_FILE_NAME
        # A clinic's claims reuse a few hundred pairs: "repeated" cycles through 500 hits and 500 misses.
        few_hits, few_misses = hits[:500] * (len(hits) // 500), misses[:500] * (len(misses) // 500)
        runs = (
            ("lazy, random pairs", PtpTable.open(compiled), hits, misses),
            ("lazy, repeated", PtpTable.open(compiled), few_hits, few_misses),
            ("preloaded dict", PtpTable.open(compiled, preload=True), hits, misses),
        )
        for how, subject, hit_queries, miss_queries in runs:
            hit_ns, miss_ns = per_lookup_ns(subject, hit_queries), per_lookup_ns(subject, miss_queries)
            print(f"  {name:<15} {how:<20} {hit_ns:6.0f}  {miss_ns:6.0f}")


def bench_mue(folder: Path, data_dir: Path, rows: int, lookups: int, rng: random.Random) -> None:
    mue_path, codes = generate_mue(folder, rows)
    started = time.perf_counter()
    table = MueTable.load_cms_file(mue_path)
    parse_s = since(started)
    started = time.perf_counter()
    table.install(data_dir)
    install_s = since(started)
    started = time.perf_counter()
    reopened = installed_mue_table(data_dir)
    reopen_s = since(started)
    started = time.perf_counter()
    preloaded = MueTable.open(data_dir / MUE_FILE_NAME, preload=True)
    preload_s = since(started)
    assert reopened is not None
    assert len(reopened) == len(preloaded) == rows
    # Half real codes, half codes the table lacks ("ZZZZ0"…"ZZZZ9" are beyond the generated range).
    queries = [rng.choice(codes) if n % 2 else f"ZZZZ{n % 10}" for n in range(lookups)]
    timings = []
    for subject in (reopened, preloaded):
        lookup = subject.lookup
        started = time.perf_counter()
        for code in queries:
            lookup(code)
        timings.append(since(started) / len(queries) * 1e9)
    print(
        f"MUE {len(table):,} rows: parse {parse_s:.1f} s + install {install_s:.1f} s; "
        f"reopen {reopen_s * 1e3:.1f} ms (preloaded: {preload_s:.1f} s); {len(queries):,} lookups "
        f"(half misses): lazy {timings[0]:.0f} ns, preloaded {timings[1]:.0f} ns each; "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=1_000_000)
    arguments = parser.parse_args()
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory(prefix="ptbill-bench-") as tmp:
        folder = Path(tmp)
        bench_ptp(folder, folder / "data", arguments.rows, arguments.lookups, rng)
        bench_mue(folder, folder / "data", arguments.rows, arguments.lookups, rng)


if __name__ == "__main__":
    main()
