"""Where `ptbill claim --jobs N`'s CPU goes: the parent's, each worker's, and the 837P writing, in process.

On a shared machine the wall time of `--jobs 2` says how busy the other core was more than how well the work
splits. This bench runs the command's own pieces (`cli.fanout.ordered` over `cli.claim_cmd.claims_of_chunk`,
which writes each claim's 837P text in the worker, then `services.claims.stream_837p`, which joins them) on N
synthetic notes (bench/check_throughput.py's, `--allow-blocked`) and
prints, for each --jobs, the build's wall time, the parent's CPU time, each worker's CPU time (measured in the
worker, around its chunks) and the writing's CPU time. On free cores the build takes about its slowest
process's CPU time, so the speed-up two free cores would give is the serial CPU over that critical path.
Run: .venv/bin/python bench/claim_jobs_split.py [N] [RUNS]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_throughput import synthetic_stream
from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.claims.x12_837p.writer import RenderedClaim
from ptbill.cli.claim_cmd import Options, claims_of_chunk
from ptbill.cli.fanout import chunked, ordered
from ptbill.domain.claim import ClaimFrequency
from ptbill.services.claims import ClaimRun, default_control_numbers, stream_837p

TRADING = TradingConfig(TEST_TRADING, {})


def timed_chunk(chunk: list[tuple[str, bytes | None]], options: Options) -> tuple[int, float, ClaimRun[Any]]:
    started = time.process_time()
    run = claims_of_chunk(chunk, options)
    return os.getpid(), time.process_time() - started, run


def once(named: list[tuple[str, bytes | None]], jobs: int, data: Path) -> dict[str, Any]:
    options = Options(None, True, ClaimFrequency.ORIGINAL, None, TRADING)
    wall, cpu = time.perf_counter(), time.process_time()
    workers: dict[int, float] = {}
    claims: list[RenderedClaim] = []
    for pid, seconds, run in ordered(timed_chunk, chunked(named, 50), jobs, options):
        workers[pid] = workers.get(pid, 0.0) + seconds
        claims.extend(run.claims)
    build_wall, parent_cpu = time.perf_counter() - wall, time.process_time() - cpu
    started = time.process_time()
    text = "".join(stream_837p(claims, TRADING, default_control_numbers(data)))
    assert text.count("CLM*") == len(named)
    workers.pop(os.getpid(), None)  # the first chunk, run in the parent, is in the parent's figure
    write_cpu = time.process_time() - started
    return {
        "build_wall": build_wall,
        "parent_cpu": parent_cpu,
        "slowest_worker_cpu": max(workers.values(), default=0.0),
        "write_cpu": write_cpu,
        "total_cpu": parent_cpu + sum(workers.values()) + write_cpu,
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(f"load average at start: {os.getloadavg()}; cores: {os.cpu_count()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        named: list[tuple[str, bytes | None]] = []
        for number, document in enumerate(synthetic_stream(count)):
            path = Path(tmp) / f"{number}.json"
            path.write_bytes(document)
            named.append((str(path), None))
        results: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
        for _ in range(runs):
            for jobs, samples in results.items():
                samples.append(once(named, jobs, Path(tmp) / "data"))
    medians = {jobs: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for jobs, rs in results.items()}
    for jobs, m in medians.items():
        print(
            f"--jobs {jobs}: build wall {m['build_wall']:.2f} s, parent CPU {m['parent_cpu']:.2f} s, slowest worker "
            f"CPU {m['slowest_worker_cpu']:.2f} s, 837P joining CPU {m['write_cpu']:.2f} s, "
            f"all processes' CPU {m['total_cpu']:.2f} s"
        )
    serial = medians[1]["parent_cpu"] + medians[1]["write_cpu"]
    critical = max(medians[2]["parent_cpu"], medians[2]["slowest_worker_cpu"]) + medians[2]["write_cpu"]
    print(f"build wall --jobs 1 / --jobs 2 as measured: {medians[1]['build_wall'] / medians[2]['build_wall']:.2f}x")
    print(
        f"CPU critical path, build + write: --jobs 1 {serial:.2f} s, --jobs 2 {critical:.2f} s: "
        f"{serial / critical:.2f}x"
    )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
