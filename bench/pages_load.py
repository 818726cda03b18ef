"""The biller's pages under load: /queue, a claim page and the A/R aging report, served as ``ptbill serve``
serves them (uvicorn, 2 workers, ``server.serving_app``: the heap frozen after start-up), on PostgreSQL with
the demo clinic grown to about 5,000 billed claims; 20 clients, driven by wrk (C, from Debian).

Setup (not timed): the demo clinic seeded with 11,800 notes as ``bench/pages.py`` seeds it (into a SQLite file,
then copied into PostgreSQL: seeding PostgreSQL directly takes over half an hour), in the schema ``pages17_load``
of the PostgreSQL database given (emptied first); ``--seeded`` reuses the schemas as an earlier run left them,
``--copy-from`` copies a SQLite file ``bench/pages.py`` seeded. ``--reference SRC`` also serves the code before
(a source tree, e.g. ``git archive <commit> src``) from a copy of the same data in ``pages17_load_before`` at
that code's migration, and measures it interleaved with this tree's, round by round (one server up at a
time: each worker keeps up to 20 database connections open): the before figures beside the after ones, from the
same minutes of the same machine. Each server runs with PTBILL_TODAY at the demo's
day, logged in through the login form as the demo biller (the session cookie).

Timed, for each page in turn, in each of ``--runs`` rounds (interleaved, so every figure has its reference
from the same round):

- reference: the page requested one at a time (one client, no load), median of 20;
- closed loop: wrk, 20 connections, each sending its next request as soon as the last is answered, for
  ``--seconds``: the throughput limit (20 clients in a closed loop on 2 cores leave each page about 10 ms of CPU
  for a p95 of 100 ms);
- think time: wrk, 20 connections, each waiting 0.5 to 1.5 s (1 s on average, a wrk ``delay()``) before its
  next request: 20 people working, about 20 pages a second.

Printed per page and mode: p50/p95/p99 (ms), requests/s, errors (socket errors and answers of 400 and above), and
the CPU time per request of the two uvicorn workers, of the PostgreSQL backends serving them (found by the
connections' application_name) and of wrk; then the medians over the rounds, against the target
p95 <= 100 ms. ``--all-reports`` measures every report page too, in the same rounds.

Run: .venv/bin/python bench/pages_load.py [--postgres URL] [--seeded | --copy-from sqlite:////path]
         [--reference SRC] [--runs 3] [--seconds 10] [--think-seconds 20] [--all-reports] [--only PART]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from api_load import free_port, page_cookie, start_server, wait_until_up  # noqa: E402
from pages import copy_database, seed  # noqa: E402
from ptbill.services.reports import REPORTS  # noqa: E402
from ptbill.storage.migrate import upgrade  # noqa: E402
from ptbill.storage.session import make_engine  # noqa: E402
from ptbill.storage.tables import ClaimPaymentRow, ClaimRow  # noqa: E402
from tests.demo_day import DEMO_TODAY  # noqa: E402

SCHEMA = "pages17_load"
APPLICATION = "pages17-load"  # the server's connections say so, to find their PostgreSQL backends
TARGET_P95_MS = 100.0
BILLER = "biller@harbor.example"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

WRK_SCRIPT = """
wrk.headers["Cookie"] = "ptbill_session=%(cookie)s"
local think = %(think)s
function init(args) math.randomseed(os.time()) end
function delay() if think then return math.random(500, 1500) end return 0 end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %%d %%d %%.3f %%.3f %%.3f %%d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


@dataclass
class Figures:
    p50: float
    p95: float
    p99: float
    rate: float
    errors: int
    server_ms: float  # CPU per request, both workers
    postgres_ms: float
    wrk_ms: float


@dataclass
class PageResult:
    one: list[float] = field(default_factory=list)
    closed: list[Figures] = field(default_factory=list)
    think: list[Figures] = field(default_factory=list)


@dataclass
class Served:
    """One server under test: this tree's code, or the reference tree's (the code before) on its own schema."""

    name: str
    schema: str
    source: Path | None  # None: this tree
    url: str = ""
    base: str = ""
    process: subprocess.Popen[bytes] | None = None
    workers: list[int] = field(default_factory=list)
    scripts: dict[str, Path] = field(default_factory=dict)
    cookie: str = ""
    results: dict[str, PageResult] = field(default_factory=dict)

    @property
    def application(self) -> str:
        return f"{APPLICATION}-{self.name}"


def schema_url(postgres: str, schema: str = SCHEMA, application: str = APPLICATION) -> str:
    glue = "&" if "?" in postgres else "?"
    return f"{postgres}{glue}options={quote('-csearch_path=' + schema)}&application_name={application}"


def empty_schema(postgres: str, schema: str) -> None:
    engine = make_engine(postgres)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def prepare(postgres: str, served: Served, seeded: bool, copy_from: str) -> None:
    """The served schema: copied from the seeded SQLite file (at its migration), then this tree's newest
    migrations for this tree's server; the reference server's schema stays where its code is."""
    served.url = schema_url(postgres, served.schema, served.application)
    if not seeded:
        empty_schema(postgres, served.schema)
        copy_database(copy_from, served.url)
    if served.source is None:
        upgrade(served.url)


def claim_to_open(url: str) -> int:
    """A claim a biller opens: answered by the payer, the one with the most posted answers (a full page)."""
    engine = make_engine(url)
    with engine.connect() as connection:
        query = (
            select(ClaimPaymentRow.claim_id)
            .join(ClaimRow, ClaimRow.id == ClaimPaymentRow.claim_id)
            .group_by(ClaimPaymentRow.claim_id)
            .order_by(func.count().desc(), ClaimPaymentRow.claim_id)
            .limit(1)
        )
        found = connection.scalar(query)
        claims = connection.scalar(select(func.count()).select_from(ClaimRow))
    engine.dispose()
    assert found is not None, "no claim has a posted answer: seed the database first"
    print(f"{claims:,} claims in the database; the claim page measured is /claims/{found}")
    return int(found)


def load_average() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def workers_of(server: subprocess.Popen[bytes]) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [int(pid) for pid in children]


class Backends:
    """The PostgreSQL backends serving a server, by its connections' application_name, through one
    connection kept open (the machine's PostgreSQL has 100 connection slots, shared)."""

    def __init__(self, postgres: str) -> None:
        self.engine = make_engine(postgres, pool_size=1, max_overflow=0)
        self.connection = self.engine.connect()

    def of(self, application: str) -> list[int]:
        query = text("SELECT pid FROM pg_stat_activity WHERE application_name = :name")
        pids = self.connection.scalars(query, {"name": application}).all()
        self.connection.rollback()
        return [int(pid) for pid in pids]

    def close(self) -> None:
        self.connection.close()
        self.engine.dispose()


def cpu_of(pids: list[int]) -> dict[int, int]:
    return {pid: _ticks(pid) for pid in pids}


def spent_ms(before: dict[int, int], after: dict[int, int]) -> float:
    return sum(after[pid] - before.get(pid, 0) for pid in after) * 1000 / CLOCK_TICKS


def one_at_a_time(served: Served, path: str, count: int = 20) -> float:
    """The page one request at a time: the median of ``count`` after one warm-up."""
    times = []
    with httpx.Client(base_url=served.base, cookies={"ptbill_session": served.cookie}, timeout=60) as client:
        client.get(path).raise_for_status()
        for _ in range(count):
            started = time.perf_counter()
            answer = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                raise SystemExit(f"{path} answered HTTP {answer.status_code}")
    return statistics.median(times)


def run_wrk(served: Served, path: str, mode: str, clients: int, seconds: float, backends: Backends) -> Figures:
    script = served.scripts[mode]
    command = ["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds:.0f}s", "--timeout", "30s", "-s", str(script)]
    pg = backends.of(served.application)
    server_before, pg_before = cpu_of(served.workers), cpu_of(pg)
    wrk_before = os.times()
    result = subprocess.run([*command, served.base + path], capture_output=True, text=True, check=True)
    wrk_after = os.times()
    server_after = cpu_of(served.workers)
    pg_after = cpu_of(sorted(set(pg) | set(backends.of(served.application))))
    parts = next(row for row in result.stdout.splitlines() if row.startswith("WRK ")).split()
    requests = max(int(parts[1]), 1)
    p50, p95, p99 = (float(x) for x in parts[3:6])
    wrk_cpu = (wrk_after.children_user - wrk_before.children_user) + (
        wrk_after.children_system - wrk_before.children_system
    )
    return Figures(
        p50,
        p95,
        p99,
        int(parts[1]) / (int(parts[2]) / 1e6),
        int(parts[6]),
        spent_ms(server_before, server_after) / requests,
        spent_ms(pg_before, pg_after) / requests,
        wrk_cpu * 1000 / requests,
    )


def write_scripts(folder: Path, cookie: str) -> dict[str, Path]:
    scripts = {}
    for mode, think in (("closed", "false"), ("think", "true")):
        scripts[mode] = folder / f"{mode}.lua"
        scripts[mode].write_text(WRK_SCRIPT % {"cookie": cookie, "think": think})
    return scripts


def show(name: str, figures: Figures) -> None:
    print(
        f"  {name:20} p50 {figures.p50:7.1f}  p95 {figures.p95:7.1f}  p99 {figures.p99:7.1f}  "
        f"{figures.rate:6.1f} req/s  errors {figures.errors}  CPU ms/request: workers {figures.server_ms:5.1f}, "
        f"PostgreSQL {figures.postgres_ms:5.1f}, wrk {figures.wrk_ms:4.2f}",
        flush=True,
    )


def median_figures(runs: list[Figures]) -> Figures:
    return Figures(*(statistics.median(getattr(run, name) for run in runs) for name in Figures.__dataclass_fields__))


def measure(served: Served, path: str, args: argparse.Namespace, backends: Backends) -> None:
    result = served.results[path]
    result.one.append(one_at_a_time(served, path))
    print(f"{path} [{served.name}]: one at a time, median of 20 {result.one[-1]:.1f} ms", flush=True)
    result.closed.append(run_wrk(served, path, "closed", args.clients, args.seconds, backends))
    show("closed loop", result.closed[-1])
    result.think.append(run_wrk(served, path, "think", args.clients, args.think_seconds, backends))
    show("think time (~1 s)", result.think[-1])


def stop(served: Served) -> None:
    if served.process is not None:
        served.process.terminate()
        served.process.wait(timeout=30)
        served.process = None


def start(served: Served, tmp: Path, workers: int) -> None:
    folder = tmp / served.name
    folder.mkdir(parents=True)
    port = free_port()
    served.base = f"http://127.0.0.1:{port}"
    kept = os.environ.get("PYTHONPATH")
    if served.source is not None:  # the reference tree's ptbill before this tree's (installed editable)
        os.environ["PYTHONPATH"] = str(served.source)
    try:
        served.process = start_server(served.url, folder, port, workers)
    finally:
        if kept is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = kept
    wait_until_up(served.base, served.process)
    served.cookie = page_cookie(served.base, BILLER)
    served.scripts = write_scripts(folder, served.cookie)
    served.workers = workers_of(served.process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--postgres", default=os.environ.get("PTBILL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--seeded", action="store_true", help="reuse the schemas an earlier run copied")
    parser.add_argument("--copy-from", help="a SQLite database bench/pages.py seeded, copied instead of seeding")
    parser.add_argument("--reference", type=Path, help="a source tree (its src folder) of the code before")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="each closed-loop run")
    parser.add_argument("--think-seconds", type=float, default=20.0, help="each think-time run")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--all-reports", action="store_true", help="every report page too")
    parser.add_argument("--only", action="append", default=[], help="measure the pages whose path has this")
    args = parser.parse_args()

    servers = [Served("after", SCHEMA, None)]
    if args.reference is not None:
        servers.insert(0, Served("before", SCHEMA + "_before", args.reference.resolve()))
    with tempfile.TemporaryDirectory(prefix="ptbill-pages-load-") as folder:
        tmp = Path(folder)
        copy_from = args.copy_from
        if copy_from is None and not args.seeded:
            copy_from = f"sqlite:///{tmp / 'seed.sqlite3'}"
            print("seeding the demo clinic (11,800 notes) in SQLite ...", flush=True)
            seed(copy_from, 11_800)
        for served in servers:
            prepare(args.postgres, served, args.seeded, copy_from or "")
        claim_id = claim_to_open(servers[-1].url)
        paths = ["/queue", f"/claims/{claim_id}", "/reports/ar-aging"]
        if args.all_reports:
            paths += [f"/reports/{r.name}" for r in REPORTS if r.name != "ar-aging"]
        if args.only:
            paths = [p for p in paths if any(part in p for part in args.only)]
        os.environ["PTBILL_TODAY"] = DEMO_TODAY.isoformat()  # the demo's data is dated around its day
        for served in servers:
            served.results = {path: PageResult() for path in paths}
        backends = Backends(args.postgres)
        print(
            f"each server: uvicorn, {args.workers} workers; wrk 2 threads x {args.clients} connections; PostgreSQL "
            f"backends found by application_name; all on {len(os.sched_getaffinity(0))} cores, shared with the "
            f"machine's other work. One server up at a time (each worker keeps up to 20 connections open, and the "
            f"machine's PostgreSQL has 100 for everyone), started again in each round.",
            flush=True,
        )
        try:
            for round_number in range(1, args.runs + 1):
                print(f"\nround {round_number} (load average {load_average()})", flush=True)
                for served in servers:  # interleaved: the code before, then after, in each round
                    start(served, tmp / f"{round_number}", args.workers)
                    try:
                        for path in paths:  # warm-up: every worker renders every page (templates, caches, pool)
                            run_wrk(served, path, "closed", args.clients, 2, backends)
                        for path in paths:
                            measure(served, path, args, backends)
                    finally:
                        stop(served)
        finally:
            backends.close()

    print(f"\nmedians of {args.runs} rounds (ms; CPU per request; target p95 <= {TARGET_P95_MS:.0f} ms, after)")
    missed = []
    for path in paths:
        for served in servers:
            result = served.results[path]
            print(f"{path} [{served.name}]: one at a time {statistics.median(result.one):.1f} ms")
            for name, runs in (("closed loop", result.closed), ("think time (~1 s)", result.think)):
                figures = median_figures(runs)
                show(name, figures)
                if served.source is None and (figures.p95 > TARGET_P95_MS or figures.errors):
                    missed.append(f"{path} ({name})")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("target missed: " + ", ".join(missed) if missed else "target met by every page in both modes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
