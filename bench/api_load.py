"""Load on the live check endpoint: uvicorn serving the demo clinic (SQLite in a temp dir, or --postgres),
N clients POSTing a note to /api/encounters/check; prints requests/s, p50/p95/p99 and errors vs p95 <= 50 ms.
With --mix the clients also view pages and save notes, and every save the server accepted is looked up in
the database afterwards.
Run: .venv/bin/python bench/api_load.py [--clients 20] [--seconds 15] [--workers 1] [--postgres URL] [--mix]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo
from ptbill.storage.migrate import upgrade
from ptbill.storage.session import make_engine, session_factory, transaction

ROOT = Path(__file__).resolve().parent.parent
NOTE: dict[str, Any] = json.loads((ROOT / "tests" / "scenarios" / "medicare-lumbar-clean.json").read_text())
TARGET_P95_MS = 50.0
PAYERS = ["ca-medicare-south", "aetna", "blue-shield-of-california", "umr-wausau", "cencal-health"]


def notes() -> list[dict[str, Any]]:
    """A few realistic variants (payer, date, traction force) so the server does not answer one note."""
    out = []
    for index, payer in enumerate(PAYERS):
        document = copy.deepcopy(NOTE)
        document["id"] = f"load-{index}"
        document["coverage"]["payer"] = payer
        document["date_of_service"] = f"2026-03-{2 + index:02d}"
        document["services"][0]["traction"]["force_lbs"] = 60 + index * 5
        out.append(document)
    return out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def database(tmp: Path, postgres: str | None) -> Iterator[str]:
    if postgres is None:
        yield f"sqlite:///{tmp / 'ptbill.sqlite3'}"
        return
    schema = f"ptbill_load_{uuid.uuid4().hex[:10]}"
    admin = make_engine(postgres)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        query = f"options=-csearch_path%3D{schema}&application_name={schema}"  # its backends, found by name
        yield f"{postgres}{'&' if '?' in postgres else '?'}{query}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def seed(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    try:
        with transaction(session_factory(engine)) as session:
            seed_demo(session)
    finally:
        engine.dispose()


def start_server(url: str, data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PTBILL_DATA_DIR": str(data_dir),
        "PTBILL_SECRET_KEY": "load-test",
        "PTBILL_SECURE_COOKIES": "0",
    }
    command = [sys.executable, "-m", "uvicorn", "ptbill.server:serving_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    command += ["--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(command, env=env)


def wait_until_up(base: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        try:
            if httpx.get(f"{base}/api/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer within a minute")


async def client_loop(
    client: httpx.AsyncClient,
    documents: list[dict[str, Any]],
    offset: int,
    until: float,
    record: bool,
    latencies: list[float],
    errors: list[str],
) -> None:
    index = offset
    while time.perf_counter() < until:
        document = documents[index % len(documents)]
        index += 1
        started = time.perf_counter()
        try:
            response = await client.post("/api/encounters/check", json=document)
            ok = response.status_code == 200 and response.json()["verdict"] in ("ready", "needs_attention", "blocked")
            problem = "" if ok else f"HTTP {response.status_code}"
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            problem = type(exc).__name__
        elapsed = time.perf_counter() - started
        if record:
            latencies.append(elapsed)
            if problem:
                errors.append(problem)


async def run_load(
    base: str, token: str, clients: int, seconds: float, warmup: float
) -> tuple[list[float], list[str], float]:
    documents = notes()
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:
        until = time.perf_counter() + warmup  # connections opened, caches filled: not measured
        await asyncio.gather(*(client_loop(client, documents, i, until, False, [], []) for i in range(clients)))
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(
            *(client_loop(client, documents, i, until, True, latencies, errors) for i in range(clients))
        )
        wall = time.perf_counter() - started
    return latencies, errors, wall


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [==[%(body)s]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %%d %%d %%.3f %%.3f %%.3f %%.3f %%.3f %%d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, latency.max / 1000, e.connect + e.read + e.write + e.timeout + e.status))
end
"""


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


class CpuShares:
    """CPU seconds the server's processes, its PostgreSQL backends and wrk spent during the measured run, beside
    the machine's total (all processes, other users' included) from /proc/stat."""

    def __init__(self, server: int, url: str) -> None:
        self.server = [server, *children_of(server)]
        self.backends = self._backends(url)
        self.started: dict[str, float] = {}

    @staticmethod
    def _backends(url: str) -> list[int]:
        if not url.startswith("postgresql"):
            return []
        name = re.search(r"application_name=([\w]+)", url)
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE application_name = :name AND pid <> pg_backend_pid()"),
                    {"name": name.group(1) if name else ""},
                )
                return [row[0] for row in rows]
        finally:
            engine.dispose()

    @staticmethod
    def machine() -> float:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        busy = sum(int(x) for x in fields) - int(fields[3]) - int(fields[4])  # all but idle and iowait
        return busy / TICKS

    def snapshot(self) -> dict[str, float]:
        return {
            "server": sum(cpu_seconds(pid) for pid in self.server),
            "postgres": sum(cpu_seconds(pid) for pid in self.backends),
            "machine": self.machine(),
        }

    def start(self) -> None:
        self.started = self.snapshot()

    def spent(self, wrk_cpu: float) -> dict[str, float]:
        now = self.snapshot()
        return {**{key: now[key] - self.started[key] for key in now}, "wrk": wrk_cpu}


def run_wrk(
    base: str, token: str, clients: int, seconds: float, tmp: Path, shares: Callable[[], CpuShares] | None = None
) -> tuple[int, float, list[float], int, dict[str, float]]:
    """wrk (C, from Debian) as the load generator: it leaves the CPU to the server under test."""
    script = tmp / "check.lua"
    script.write_text(WRK_SCRIPT % {"body": json.dumps(notes()[0]), "token": token})
    subprocess.run(
        ["wrk", "-t", "2", "-c", str(clients), "-d", "2s", "-s", str(script), f"{base}/api/encounters/check"],
        capture_output=True,
        check=True,
    )  # warm-up
    counted = shares() if shares is not None else None  # after the warm-up: the pools' connections are open
    if counted is not None:
        counted.start()
    before = os.times()
    result = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(clients),
            "-d",
            f"{seconds:.0f}s",
            "-s",
            str(script),
            f"{base}/api/encounters/check",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(row for row in result.stdout.splitlines() if row.startswith("WRK "))
    parts = line.split()
    requests, duration_us = int(parts[1]), int(parts[2])
    p50, p95, p99, mean, worst = (float(x) for x in parts[3:8])
    after = os.times()
    wrk_cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    spent = counted.spent(wrk_cpu) if counted is not None else {"wrk": wrk_cpu}
    return requests, duration_us / 1e6, [p50, p95, p99, mean, worst], int(parts[8]), spent


# The mixed load: of every 10 requests a connection sends, 5 check a note (API, bearer token), 3 view a page
# (session cookie) and 2 save a new note (API). Each thread writes the ids of the saves answered 201 to a file.
MIX_SCRIPT = """
local pages = {%(pages)s}
local check_body = [==[%(check)s]==]
local note_head, note_tail = [==[%(note_head)s]==], [==[%(note_tail)s]==]
local api = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"}
local page = {["Cookie"] = "ptbill_session=%(cookie)s"}
local threads, sent = {}, 0
thread_number, attempted, failures, accepted_file = 0, 0, 0, nil

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  accepted_file = io.open(string.format("%(out)s/accepted-%%d.txt", thread_number), "w")
end

function request()
  sent = sent + 1
  local slot = sent %% 10
  if slot < 5 then
    return wrk.format("POST", "/api/encounters/check", api, check_body)
  elseif slot < 8 then
    return wrk.format("GET", pages[sent %% #pages + 1], page)
  end
  attempted = attempted + 1
  local id = string.format("mix-%%d-%%d", thread_number, attempted)
  return wrk.format("POST", "/api/encounters", api, note_head .. id .. note_tail)
end

function response(status, headers, body)
  if status == 201 then
    accepted_file:write(body:match('"external_id":"(mix%%-[%%d%%-]+)"'), "\\n")
    accepted_file:flush()
  elseif status ~= 200 then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local tried, failed = 0, 0
  for _, thread in ipairs(threads) do
    tried = tried + thread:get("attempted")
    failed = failed + thread:get("failures")
  end
  local e = summary.errors
  io.write(string.format("WRK %%d %%d %%.3f %%.3f %%.3f %%.3f %%.3f %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, latency.max / 1000, e.connect + e.read + e.write + e.timeout + e.status, failed, tried))
end
"""


def page_cookie(base: str, email: str) -> str:
    """Log in through the login form, as a browser does; the session cookie it sets."""
    with httpx.Client(base_url=base) as browser:
        form = browser.get("/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if match is None:
            raise SystemExit("the login page has no CSRF token")
        answer = browser.post(
            "/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": match.group(1), "next": "/"}
        )
        cookie = browser.cookies.get("ptbill_session")
        if answer.status_code != 303 or cookie is None:
            raise SystemExit(f"logging in through the form failed: HTTP {answer.status_code}")
        return cookie


def unloaded_latencies(base: str, token: str, cookie: str, pages: list[str], patient_id: int) -> dict[str, float]:
    """The median time of each kind of request sent one at a time: the reference for the figures under load."""
    timings: dict[str, list[float]] = {"check": [], "page": [], "save": []}
    api = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=30) as client:
        for number in range(20):
            for kind, spent in timings.items():
                started = time.perf_counter()
                if kind == "check":
                    response = client.post("/api/encounters/check", json=notes()[0], headers=api)
                elif kind == "page":
                    response = client.get(pages[number % len(pages)], cookies={"ptbill_session": cookie})
                else:
                    document = {**notes()[0], "id": f"reference-{number}"}
                    response = client.post(
                        "/api/encounters", json={"patient_id": patient_id, "document": document}, headers=api
                    )
                spent.append(time.perf_counter() - started)
                if response.status_code not in (200, 201):
                    raise SystemExit(f"{kind} answered HTTP {response.status_code} before the load started")
    return {kind: statistics.median(values) * 1000 for kind, values in timings.items()}


def run_mixed(base: str, email: str, clients: int, seconds: float, tmp: Path) -> dict[str, Any]:
    """Checks, page views and note saves from wrk; what wrk measured and the ids of the accepted saves."""
    token = httpx.post(f"{base}/api/session", json={"email": email, "password": DEMO_PASSWORD}).json()["token"]
    cookie = page_cookie(base, email)
    headers = {"Authorization": f"Bearer {token}"}
    patient_id = httpx.get(f"{base}/api/patients", headers=headers).json()[0]["id"]
    encounter_ids = [row["id"] for row in httpx.get(f"{base}/api/encounters", headers=headers).json()[:5]]
    pages = ["/notes", "/payers", *(f"/notes/{i}" for i in encounter_ids), f"/notes/{encounter_ids[0]}/history"]
    reference = unloaded_latencies(base, token, cookie, pages, patient_id)
    head, tail = json.dumps({"patient_id": patient_id, "document": {**notes()[0], "id": "@"}}).split("@")
    out = tmp / "accepted"
    out.mkdir()
    script = tmp / "mix.lua"
    script.write_text(
        MIX_SCRIPT
        % {
            "pages": ", ".join(f'"{path}"' for path in pages),
            "check": json.dumps(notes()[0]),
            "note_head": head,
            "note_tail": tail,
            "token": token,
            "cookie": cookie,
            "out": out,
        }
    )
    command = ["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds:.0f}s", "--timeout", "30s", "-s", str(script)]
    result = subprocess.run([*command, base], capture_output=True, text=True, check=True)
    parts = next(row for row in result.stdout.splitlines() if row.startswith("WRK ")).split()
    accepted = [line for file in sorted(out.iterdir()) for line in file.read_text().split()]
    return {
        "requests": int(parts[1]),
        "wall": int(parts[2]) / 1e6,
        "figures": [float(x) for x in parts[3:8]],
        "wrk_errors": int(parts[8]),
        "failures": int(parts[9]),
        "attempted": int(parts[10]),
        "accepted": accepted,
        "reference": reference,
    }


def saved_note_ids(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT external_id FROM encounters WHERE external_id LIKE 'mix-%'"))
            return {row[0] for row in rows}
    finally:
        engine.dispose()


def report_mixed(result: dict[str, Any], saved: set[str], backend: str, workers: int, clients: int) -> None:
    p50, p95, p99, mean, worst = result["figures"]
    requests, wall, reference = result["requests"], result["wall"], result["reference"]
    accepted = set(result["accepted"])
    missing, unacknowledged = accepted - saved, saved - accepted
    print(
        f"backend {backend}: {workers} uvicorn worker(s) and wrk (2 threads, {clients} connections) sharing "
        f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.1f} at the end"
    )
    print("mix         of every 10 requests: 5 note checks (API), 3 page views (cookie), 2 note saves (API)")
    print(f"requests    {requests}  ({requests / wall:.0f} requests/s) in {wall:.1f} s")
    print(f"latency ms  p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f}  mean {mean:.1f}  max {worst:.1f}")
    print(
        f"reference   one request at a time, median ms: check {reference['check']:.1f}, "
        f"page {reference['page']:.1f}, save {reference['save']:.1f}"
    )
    print(f"errors      {result['wrk_errors']} seen by wrk, {result['failures']} answers other than 200/201")
    print(
        f"notes       {result['attempted']} saves sent, {len(accepted)} accepted (201), "
        f"{len(accepted - missing)} of these in the database, {len(missing)} missing; "
        f"{result['attempted'] - len(accepted)} unanswered or refused (wrk stops without waiting for requests "
        f"in flight), {len(unacknowledged)} of which were saved"
    )
    clean = not result["wrk_errors"] and not result["failures"] and not missing
    print(f"target      no errors and every accepted note saved: {'met' if clean else 'MISSED'}")


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--postgres", help="a PostgreSQL URL: run in a fresh schema there instead of SQLite")
    parser.add_argument("--mix", action="store_true", help="checks, page views and note saves (wrk), then verify")
    parser.add_argument(
        "--client",
        choices=["wrk", "httpx"],
        default="wrk" if shutil.which("wrk") else "httpx",
        help="load generator: wrk (default when installed) or Python httpx, which shares the CPU",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, database(Path(tmp), args.postgres) as url:
        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(f"seeding the demo clinic ({backend}) ...", flush=True)
        seed(url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(url, Path(tmp), port, args.workers)
        try:
            wait_until_up(base, server)
            if args.mix:
                if not shutil.which("wrk"):
                    raise SystemExit("--mix needs wrk (make system-deps)")
                mixed = run_mixed(base, "therapist1@harbor.example", args.clients, args.seconds, Path(tmp))
                report_mixed(mixed, saved_note_ids(url), backend, args.workers, args.clients)
                return
            login = httpx.post(
                f"{base}/api/session", json={"email": "therapist1@harbor.example", "password": DEMO_PASSWORD}
            )
            login.raise_for_status()
            if args.client == "wrk":
                load_before = os.getloadavg()
                count, wall, figures, failures, spent = run_wrk(
                    base,
                    login.json()["token"],
                    args.clients,
                    args.seconds,
                    Path(tmp),
                    lambda: CpuShares(server.pid, url),
                )
                load_after = os.getloadavg()
            else:
                latencies, errors, wall = asyncio.run(
                    run_load(base, login.json()["token"], args.clients, args.seconds, args.warmup)
                )
        finally:
            server.terminate()
            server.wait(timeout=30)

    if args.client == "wrk":
        p50, p95, p99, mean, worst = figures
        print(
            f"backend {backend}, {args.workers} uvicorn worker(s), {args.clients} connections (wrk), "
            f"{wall:.1f} s measured"
        )
        print(f"requests    {count}  ({count / wall:.0f} requests/s)")
        print(f"latency ms  p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f}  mean {mean:.1f}  max {worst:.1f}")
        print(f"errors      {failures}")
        machine = spent.get("machine", 0.0)
        ours = spent.get("server", 0.0) + spent.get("postgres", 0.0) + spent["wrk"]
        print(
            f"CPU s       server {spent.get('server', 0.0):.1f} ({args.workers} workers), PostgreSQL backends "
            f"{spent.get('postgres', 0.0):.1f}, wrk {spent['wrk']:.1f}; machine {machine:.1f} of "
            f"{len(os.sched_getaffinity(0)) * wall:.1f} core-seconds, {machine - ours:.1f} of it other work"
        )
        if count:
            per = {key: spent.get(key, 0.0) / count * 1000 for key in ("server", "postgres", "wrk")}
            print(f"CPU ms/req  server {per['server']:.2f}, PostgreSQL {per['postgres']:.2f}, wrk {per['wrk']:.2f}")
        print(f"load avg    {load_before[0]:.2f} before, {load_after[0]:.2f} after (1 min)")
        verdict = "met" if p95 <= TARGET_P95_MS and not failures else "MISSED"
        print(f"target      p95 <= {TARGET_P95_MS:.0f} ms with no errors: {verdict}")
        return

    if not latencies:
        raise SystemExit("no request completed")
    ordered = sorted(latencies)
    p95 = percentile(ordered, 0.95) * 1000
    print(f"backend {backend}, {args.workers} uvicorn worker(s), {args.clients} clients, {wall:.1f} s measured")
    print(f"requests    {len(latencies)}  ({len(latencies) / wall:.0f} requests/s)")
    p50, p99 = percentile(ordered, 0.50) * 1000, percentile(ordered, 0.99) * 1000
    print(
        f"latency ms  p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f}"
        f"  mean {statistics.fmean(ordered) * 1000:.1f}  max {ordered[-1] * 1000:.1f}"
    )
    print(f"errors      {len(errors)}" + (f"  (first: {errors[0]})" if errors else ""))
    verdict = "met" if p95 <= TARGET_P95_MS and not errors else "MISSED"
    print(f"target      p95 <= {TARGET_P95_MS:.0f} ms with no errors: {verdict}")


if __name__ == "__main__":
    main()
