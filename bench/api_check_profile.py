"""Where the time of one `POST /api/encounters/check` goes, in process: the app (as `ptbill serve` builds it,
heap settled) on the demo clinic in PostgreSQL (or SQLite), the note variants of bench/api_load.py sent one at a
time through the ASGI interface. Prints the median time and CPU time per check, the SQL statements per check and
the database's share of the time, and with --profile the functions that take the most time (cProfile).
Run: .venv/bin/python bench/api_check_profile.py [--postgres URL] [--checks 400] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import database, notes, seed
from ptbill.server import serving_app
from ptbill.services.demo_data import DEMO_PASSWORD


class GcPauses:
    """The garbage collector's collections by generation during the timed checks, and the time they took."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def reset(self) -> None:
        self.count, self.seconds = [0, 0, 0], [0.0, 0.0, 0.0]

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count[info["generation"]] += 1
            self.seconds[info["generation"]] += time.perf_counter() - self._started


class StatementCounter:
    """Every statement the app's engine runs, and the time spent in the driver."""

    def __init__(self) -> None:
        self.statements: Counter[str] = Counter()
        self.spent: Counter[str] = Counter()
        self.seconds = 0.0
        self._started: list[float] = []

    def attach(self, engine: Any) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_args: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        spent = time.perf_counter() - self._started.pop()
        key = " ".join(statement.split())[:100]
        self.seconds += spent
        self.statements[key] += 1
        self.spent[key] += spent


async def drive(
    app: Any, checks: int, counter: StatementCounter, profile: cProfile.Profile | None, pauses: GcPauses
) -> tuple[list[float], float]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        login = await client.post(
            "/api/session", json={"email": "therapist1@harbor.example", "password": DEMO_PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        documents = notes()
        for index in range(50):  # warm-up: caches filled, the code paths run once
            await client.post("/api/encounters/check", json=documents[index % len(documents)], headers=headers)
        counter.statements.clear()
        counter.spent.clear()
        counter.seconds = 0.0
        times = []
        pauses.reset()
        cpu = time.process_time()
        if profile:
            profile.enable()
        for index in range(checks):
            started = time.perf_counter()
            response = await client.post(
                "/api/encounters/check", json=documents[index % len(documents)], headers=headers
            )
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"HTTP {response.status_code}: {response.text[:200]}")
        if profile:
            profile.disable()
        return times, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--postgres", help="a PostgreSQL URL: run in a fresh schema there instead of SQLite")
    parser.add_argument("--seeded", help="the URL of a database bench/api_load.py's clinic is seeded in already")
    parser.add_argument("--checks", type=int, default=400)
    parser.add_argument("--profile", action="store_true", help="print the top functions by cumulative time")
    parser.add_argument("--profile-out", help="with --profile: also write cProfile's statistics to this file (pstats)")
    parser.add_argument("--gc-threshold", help="gc.set_threshold for the run, e.g. 700,10,10 (Python's default)")
    args = parser.parse_args()
    import asyncio

    with tempfile.TemporaryDirectory() as tmp, database(Path(tmp), args.postgres) as fresh:
        url = args.seeded or fresh
        if not args.seeded:
            seed(url)
        os.environ.update(DATABASE_URL=url, PTBILL_DATA_DIR=tmp, PTBILL_SECRET_KEY="profile", PTBILL_SECURE_COOKIES="0")
        app = serving_app()
        if args.gc_threshold:
            gc.set_threshold(*(int(part) for part in args.gc_threshold.split(",")))
        pauses = GcPauses()
        counter = StatementCounter()
        counter.attach(app.state.ptbill.sessions.kw["bind"])
        profile = cProfile.Profile() if args.profile else None
        times, cpu = asyncio.run(drive(app, args.checks, counter, profile, pauses))
        app.state.ptbill.sessions.kw["bind"].dispose()

    total = sum(counter.statements.values())
    backend = "PostgreSQL" if (args.seeded or args.postgres or "").startswith("postgresql") else "SQLite"
    print(f"backend {backend}, {args.checks} checks one at a time, in process")
    print(
        f"per check   median {statistics.median(times) * 1000:.2f} ms, mean {statistics.fmean(times) * 1000:.2f} ms,"
        f" CPU {cpu / args.checks * 1000:.2f} ms{' (profiled)' if profile else ''}"
    )
    print(
        f"SQL         {total / args.checks:.1f} statements per check, {counter.seconds / args.checks * 1000:.2f} ms "
        f"per check in the driver (waiting for the database included)"
    )
    collections = ", ".join(
        f"gen {generation}: {pauses.count[generation]} taking {pauses.seconds[generation] * 1000:.1f} ms"
        for generation in range(3)
    )
    print(f"GC          thresholds {gc.get_threshold()}, {collections}; {gc.get_freeze_count()} objects frozen")
    ordered = sorted(times)
    print(f"            p95 {ordered[int(len(ordered) * 0.95)] * 1000:.2f} ms, worst {ordered[-1] * 1000:.2f} ms")
    for statement, count in counter.statements.most_common():
        spent = counter.spent[statement] / args.checks * 1000
        print(f"  {count / args.checks:5.2f} {spent:6.2f} ms  {statement}")
    if profile:
        stats = pstats.Stats(profile)
        if args.profile_out:
            stats.dump_stats(args.profile_out)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        stats.print_callees("check_for_clinic|solve_dependencies|route")


if __name__ == "__main__":
    main()
