"""One tenth of "500 clinics" on this machine: ~50 synthetic clinics on PostgreSQL, the real server and the real
job worker, and the clinics' hour driven through the API at a stated speed-up.

Issue 17 sizes ptbill for 500 clinics: 50,000 visits a day, 10,000 claims and 200 835 files an hour. This
bench runs one tenth of it: 5,000 visits a day (a 10-hour clinic day, its peak hour ``--peak`` times the mean:
1,000 visits in the peak hour at the default 2.0), 1,000 claims an hour and 20 835 files an hour.

Setup (not measured): a database of its own (``scale17_clinic_scale`` unless ``--db`` names another) migrated
to the newest schema, then ``--clinics`` synthetic clinics, each the demo clinic of ``services.demo_data``
(Faker people, notes checked and signed through ``services.notes``) answered by the demo's simulated payers
(``services.demo_payments``), renamed after seeding so that 50 of them can live side by side (their users'
e-mail addresses get the clinic's number; each seeding also makes the demo's second, empty clinic). Then
``ptbill serve --workers 2`` and ``ptbill worker`` (procrastinate) start as processes, on that database,
with ``PTBILL_TODAY`` pinned, periodic jobs off, and ``PTBILL_JOB_UPLOAD_BYTES`` low enough that every 835
uploaded posts as the ``post_835_file`` job, as large files and the clearinghouse mailbox do.

Measured: ``--windows`` windows, each one simulated hour (``--sim-minutes``) run ``--speedup`` times faster,
open loop (each operation starts on its schedule, whether or not the ones before it have answered):

- a visit: its note checked (``POST /api/encounters/check``), saved (``POST /api/encounters``, checked again
  on save) and signed (``POST /api/encounters/{id}/sign``) by the clinic's therapist;
- a claim batch: the clinic's signed notes billed (``POST /api/claims``), put in an 837P batch
  (``POST /api/batches``) and marked sent (``POST /api/batches/{id}/submitted``) by its biller;
- an 835: the payer's answer to up to 50 of the clinic's sent claims, written by the 835 writer the demo's
  payers use, uploaded on the remittances page (``POST /remittances``, the session cookie and CSRF token) and
  posted by the worker; its latency runs from the upload to the job's ``done``.

Per window: each operation's p50/p95 and its throughput against its target; the CPU time (user + system, from
``/proc``) of the server's processes, of the worker, of PostgreSQL's backends serving this database and of the
load generator; PostgreSQL's shared processes (checkpointer, WAL writer, autovacuum: every database's); the
database's growth. Printed: each window, then the median of the windows; then the tables read by sequential
scans during the windows, the indexes of the hot tables, and EXPLAIN of the hot queries on the seeded data.

Run: .venv/bin/python bench/clinic_scale.py [--clinics 50] [--speedup 10] [--sim-minutes 30] [--windows 3]
     [--probe 30] [--seeded] [--seed-only]   (--probe: one more window at that speed-up, printed, not in the medians)
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from api_load import wait_until_up  # the same wait as the API bench: /api/openapi.json answers
from ptbill.domain.remittance import (
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    ClaimStatus,
    PatientName,
    Remittance,
    ServicePayment,
)
from ptbill.remittance.x12_835.writer import write_835
from ptbill.services.demo_data import CLINIC_NPI, DEMO_CLINIC, DEMO_PASSWORD, seed_demo
from ptbill.services.demo_payments import simulate_payments
from ptbill.storage.migrate import upgrade
from ptbill.storage.session import make_engine, session_factory, transaction

DAY = date(2026, 4, 6)  # the tests' demo day (a Monday); the server's clock is pinned to it
HZ = os.sysconf("SC_CLK_TCK")
CLINIC_DAY_HOURS = 10
FULL_SCALE = {"visits_per_day": 50_000, "claims_per_hour": 10_000, "files_per_hour": 200}
CLAIMS_PER_FILE = 50


# -- setup ---------------------------------------------------------------------------------------------------


def create_database(base: str, name: str, fresh: bool) -> str:
    admin = make_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists and fresh:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if not exists or fresh:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{base}/{name}"


def seed_clinics(url: str, clinics: int, notes: int, patients: int) -> None:
    """Each clinic is the demo clinic, seeded and answered by the demo's payers, then renamed."""
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    started = time.perf_counter()
    for number in range(clinics):
        with transaction(sessions) as session:
            seed_demo(session, seed=2026 + number, encounters=notes, patients=patients, today=DAY)
            simulate_payments(session, seed=2026 + number, today=DAY)
            tag = f"c{number:02d}"
            session.execute(
                text(
                    "UPDATE users SET email = replace(email, '@harbor.example', :domain) WHERE clinic_id = "
                    "(SELECT id FROM clinics WHERE name = :demo)"
                ),
                {"domain": f"@{tag}.example", "demo": DEMO_CLINIC},
            )
            session.execute(
                text("UPDATE users SET email = :email WHERE email = 'biller@mesa.example'"),
                {"email": f"biller@mesa-{tag}.example"},
            )
            session.execute(
                text("UPDATE clinics SET name = :name WHERE name = :demo"),
                {"name": f"Clinic {number:02d} Physical Therapy (synthetic)", "demo": DEMO_CLINIC},
            )
            session.execute(
                text("UPDATE clinics SET name = :name WHERE name = 'Mesa Spine & Sport PT (demo)'"),
                {"name": f"Clinic {number:02d}-b (synthetic, empty)"},
            )
        if number % 10 == 9 or number == clinics - 1:
            with engine.connect() as connection:
                connection.execute(text("ANALYZE"))
                connection.commit()
            print(f"  {number + 1} clinics seeded in {time.perf_counter() - started:.0f} s", flush=True)
    engine.dispose()


def start_processes(url: str, data_dir: Path, port: int, concurrency: int) -> tuple[subprocess.Popen[bytes], ...]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PTBILL_DATA_DIR": str(data_dir),
        "PTBILL_SECRET_KEY": "clinic-scale-bench-" + "x" * 32,
        "PTBILL_SECURE_COOKIES": "0",
        "PTBILL_TODAY": DAY.isoformat(),
        "PTBILL_JOB_SCHEDULE": "off",
        "PTBILL_JOB_UPLOAD_BYTES": "1024",  # every 835 posts as the post_835_file job
    }
    ptbill = str(Path(sys.executable).with_name("ptbill"))
    server = subprocess.Popen([ptbill, "serve", "--workers", "2", "--port", str(port)], env=env)
    worker = subprocess.Popen([ptbill, "worker", "--concurrency", str(concurrency)], env=env, stdout=subprocess.DEVNULL)
    return server, worker


# -- CPU from /proc ------------------------------------------------------------------------------------------


def ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children[int(stat[stat.rindex(")") + 2 :].split()[1])].append(int(entry))
    found, stack = [root], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


class CpuMeter:
    """CPU seconds of process groups over a window. PostgreSQL's backends come and go: the backends serving
    the database are sampled every half second, each counted from its first sample (from 0 when it started in
    the window) to its last."""

    def __init__(self, url: str, database: str, roots: dict[str, int]) -> None:
        self.engine = make_engine(url)
        self.database = database
        self.roots = roots
        self.postmaster = self._postmaster()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}

    def _postmaster(self) -> int | None:
        with self.engine.connect() as connection:
            pid = connection.scalar(text("SELECT pg_backend_pid()"))
        parent = Path(f"/proc/{pid}/stat").read_text()
        return int(parent[parent.rindex(")") + 2 :].split()[1]) if pid else None

    def _backends(self, connection: Any) -> list[int]:
        rows = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
            {"d": self.database},
        )
        return [row[0] for row in rows]

    def _sample(self, connection: Any, baseline: bool) -> None:
        for pid in self._backends(connection):
            used = ticks(pid)
            if used is None:
                continue
            if pid not in self.first:
                self.first[pid] = used if baseline else 0
            self.last[pid] = used

    def _shared(self) -> int:
        """PostgreSQL's own processes that serve no one database (checkpointer, WAL writer, autovacuum)."""
        if self.postmaster is None:
            return 0
        total = 0
        for pid in descendants(self.postmaster):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if any(word in command for word in ("checkpointer", "writer", "autovacuum", "walwriter")):
                total += ticks(pid) or 0
        return total

    def _groups(self) -> dict[str, int]:
        out = {name: sum(ticks(pid) or 0 for pid in descendants(root)) for name, root in self.roots.items()}
        out["postgres shared"] = self._shared()
        return out

    def start(self) -> None:
        self.first, self.last = {}, {}
        self.begin = self._groups()
        self.rusage = resource.getrusage(resource.RUSAGE_SELF)
        connection = self.engine.connect()
        self._sample(connection, baseline=True)
        self._stop.clear()

        def loop() -> None:
            try:
                while not self._stop.wait(0.5):
                    self._sample(connection, baseline=False)
            finally:
                connection.close()

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        end = self._groups()
        used = {name: (end[name] - self.begin[name]) / HZ for name in end}
        used["postgres backends"] = sum(self.last[pid] - self.first[pid] for pid in self.last) / HZ
        now = resource.getrusage(resource.RUSAGE_SELF)
        used["load generator"] = now.ru_utime + now.ru_stime - self.rusage.ru_utime - self.rusage.ru_stime
        return used


# -- the clinics as their users see them ----------------------------------------------------------------------


@dataclass
class Clinic:
    number: int
    therapist: dict[str, str]
    therapist_cookie: str
    biller: dict[str, str]
    biller_cookie: str
    biller_csrf: str
    templates: list[tuple[int, dict[str, Any]]]
    busy: dict[int, set[str]]
    pending: list[int] = field(default_factory=list)  # signed, not billed
    sent: list[dict[str, Any]] = field(default_factory=list)  # claims sent, not answered


async def log_in(client: httpx.AsyncClient, email: str) -> tuple[dict[str, str], str, str]:
    answer = await client.post("/api/session", json={"email": email, "password": DEMO_PASSWORD})
    answer.raise_for_status()
    body = answer.json()
    return {"Authorization": f"Bearer {body['token']}"}, answer.cookies["ptbill_session"], body["csrf_token"]


async def open_clinic(client: httpx.AsyncClient, number: int) -> Clinic:
    tag = f"c{number:02d}"
    therapist, therapist_cookie, _ = await log_in(client, f"therapist1@{tag}.example")
    biller, cookie, csrf = await log_in(client, f"biller@{tag}.example")
    notes = (await client.get("/api/encounters", headers=therapist)).json()
    busy: dict[int, set[str]] = defaultdict(set)  # each patient's days with a note: a new visit avoids them
    for row in notes:
        busy[row["patient_id"]].add(row["date_of_service"])
    templates = []
    usable = [row for row in notes if row["status"] in ("signed", "billed")]
    for summary in usable[:20]:  # 20 of the clinic's own notes, each for its patient
        note = (await client.get(f"/api/encounters/{summary['id']}", headers=therapist)).json()
        templates.append((summary["patient_id"], note["document"]))
    pending = [row["id"] for row in notes if row["status"] == "signed"]
    return Clinic(number, therapist, therapist_cookie, biller, cookie, csrf, templates, busy, pending=pending)


@dataclass
class Window:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    claims: int = 0
    payments: int = 0
    refusals: list[str] = field(default_factory=list)

    def record(self, operation: str, started: float, outcome: str) -> None:
        self.latencies[operation].append(time.perf_counter() - started)
        self.outcomes[f"{operation} {outcome}"] += 1


async def visit(client: httpx.AsyncClient, clinic: Clinic, rng: random.Random, serial: str, win: Window) -> None:
    patient_id, template = rng.choice(clinic.templates)
    document = copy.deepcopy(template)
    document["id"] = serial
    free = [d for d in (DAY - timedelta(days=n) for n in range(61)) if d.isoformat() not in clinic.busy[patient_id]]
    day = rng.choice(free).isoformat()  # the patient's one visit that day
    clinic.busy[patient_id].add(day)
    document["date_of_service"] = day
    started = time.perf_counter()
    answer = await client.post("/api/encounters/check", json=document, headers=clinic.therapist)
    win.record("check", started, str(answer.status_code))
    started = time.perf_counter()
    answer = await client.post(
        "/api/encounters", json={"patient_id": patient_id, "document": document}, headers=clinic.therapist
    )
    win.record("save", started, str(answer.status_code))
    if answer.status_code != 201:
        return
    note_id = answer.json()["id"]
    started = time.perf_counter()
    answer = await client.post(f"/api/encounters/{note_id}/sign", headers=clinic.therapist)
    win.record("sign", started, str(answer.status_code))  # 409: blocking findings, left a draft
    if answer.status_code == 200:
        clinic.pending.append(note_id)
    for operation, path in (("page note", f"/notes/{note_id}"), ("page /notes", "/notes")):
        started = time.perf_counter()
        answer = await client.get(path, cookies={"ptbill_session": clinic.therapist_cookie})
        win.record(operation, started, str(answer.status_code))


async def bill(client: httpx.AsyncClient, clinic: Clinic, size: int, win: Window) -> None:
    started = time.perf_counter()
    answer = await client.get("/queue", cookies={"ptbill_session": clinic.biller_cookie})
    win.record("page /queue", started, str(answer.status_code))
    ids, clinic.pending = clinic.pending[:size], clinic.pending[size:]
    for _ in range(8):  # all or none: a note refused (found blocking when billed) is left out, as a biller would
        if not ids:
            win.outcomes["claims skipped (nothing signed)"] += 1
            return
        started = time.perf_counter()
        answer = await client.post("/api/claims", json={"encounter_ids": ids}, headers=clinic.biller)
        win.record("claims build" if answer.status_code != 409 else "claims refused", started, str(answer.status_code))
        refused = re.search(r"encounter (\d+)", answer.text) if answer.status_code == 409 else None
        if refused is None:
            break
        ids = [note for note in ids if note != int(refused.group(1))]
    if answer.status_code != 201:
        win.refusals.append(answer.text[:300])
        return
    claims = answer.json()
    win.claims += len(claims)
    started = time.perf_counter()
    answer = await client.post("/api/batches", json={"claim_ids": [c["id"] for c in claims]}, headers=clinic.biller)
    win.record("batch 837P", started, str(answer.status_code))
    if answer.status_code != 201:
        win.refusals.append(answer.text[:300])
        return
    started = time.perf_counter()
    answer = await client.post(f"/api/batches/{answer.json()['id']}/submitted", headers=clinic.biller)
    win.record("batch sent", started, str(answer.status_code))
    if answer.status_code == 200:
        clinic.sent.extend(claims)


def remittance_for(claims: list[dict[str, Any]], trace: str) -> str:
    """The payer's 835: each line paid 60 % of its charge, 40 % contractual (CO-45), 20 % of the paid the
    patient's coinsurance."""
    payments = []
    for claim in claims:
        lines = []
        for line in claim["lines"]:
            charge = Decimal(str(line["charge"]))
            allowed = (charge * Decimal("0.6")).quantize(Decimal("0.01"))
            patient = (allowed * Decimal("0.2")).quantize(Decimal("0.01"))
            lines.append(
                ServicePayment(
                    "HC",
                    line["code"],
                    tuple(line["modifiers"]),
                    charge,
                    allowed - patient,
                    units_paid=Decimal(line["units"]),
                    service_start=date.fromisoformat(claim["service_date"]),
                    adjustments=(
                        Adjustment(AdjustmentGroup.CONTRACTUAL, "45", charge - allowed),
                        Adjustment(AdjustmentGroup.PATIENT, "2", patient),
                    ),
                )
            )
        payments.append(
            ClaimPayment(
                claim["patient_control_number"],
                ClaimStatus.PRIMARY,
                Decimal(str(claim["total_charge"])),
                sum((s.paid for s in lines), Decimal(0)),
                patient_responsibility=sum((s.adjustments[1].amount for s in lines), Decimal(0)),
                payer_claim_control_number=f"{trace}{claim['id']:08d}",
                patient=PatientName("PATIENT", "SYNTHETIC"),
                service_lines=tuple(lines),
            )
        )
    return write_835(
        Remittance(
            payer_name="SYNTHETIC PAYER",
            payer_id="SYNTH",
            payee_name="SYNTHETIC PHYSICAL THERAPY",
            payee_npi=CLINIC_NPI,
            payee_tax_id=None,
            handling=None,
            payment_amount=sum((p.paid for p in payments), Decimal(0)),
            credit_debit=None,
            payment_method=None,
            payment_date=DAY,
            trace_number=trace,
            originating_company_id=None,
            production_date=None,
            claims=tuple(payments),
        )
    )


async def remit(client: httpx.AsyncClient, clinic: Clinic, trace: str, win: Window, jobs_url: str) -> None:
    claims, clinic.sent = clinic.sent[:CLAIMS_PER_FILE], clinic.sent[CLAIMS_PER_FILE:]
    if not claims:
        win.outcomes["835 skipped (nothing sent)"] += 1
        return
    document = remittance_for(claims, trace)
    started = time.perf_counter()
    answer = await client.post(
        "/remittances",
        data={"csrf_token": clinic.biller_csrf},
        files={"files": (f"{trace}.835", document.encode(), "application/octet-stream")},
        cookies={"ptbill_session": clinic.biller_cookie},
    )
    win.record("835 upload", started, str(answer.status_code))
    found = re.search(r"/remittances/jobs/(\d+)", answer.headers.get("location", ""))
    if answer.status_code != 303 or found is None:
        win.refusals.append(f"835 upload: HTTP {answer.status_code}")
        return
    run_id = int(found.group(1))
    status = await asyncio.to_thread(job_status, jobs_url, run_id, 600.0)
    win.record("835 posted (job)", started, status)
    if status == "done":
        win.payments += len(claims)


_JOB_ENGINES: dict[str, Any] = {}


def job_status(url: str, run_id: int, timeout: float) -> str:
    engine = _JOB_ENGINES.setdefault(url, make_engine(url, pool_size=2, max_overflow=2))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            status = connection.scalar(text("SELECT status FROM job_runs WHERE id = :i"), {"i": run_id})
        if status in ("done", "failed"):
            return str(status)
        time.sleep(0.25)
    return "timeout"


# -- one window ---------------------------------------------------------------------------------------------


TURNS = {"visit": 0, "bill": 0, "remit": 0}


def schedule(args: argparse.Namespace) -> list[tuple[float, str]]:
    """(real seconds from the window's start, kind), each kind evenly spread with a little jitter."""
    rng = random.Random(17)
    real = args.sim_minutes * 60 / args.speedup
    hours = args.sim_minutes / 60
    visits = round(FULL_SCALE["visits_per_day"] / 10 / CLINIC_DAY_HOURS * args.peak * hours)
    batches = round(FULL_SCALE["claims_per_hour"] / 10 * hours / args.batch_size)
    files = round(FULL_SCALE["files_per_hour"] / 10 * hours)
    events = []
    for kind, count in (("visit", visits), ("bill", batches), ("remit", files)):
        step = real / max(count, 1)
        events += [(min(real, (i + rng.uniform(0.1, 0.9)) * step), kind) for i in range(count)]
    return sorted(events)


async def run_window(
    client: httpx.AsyncClient, clinics: list[Clinic], args: argparse.Namespace, label: str, url: str
) -> tuple[Window, float]:
    win = Window()
    rng = random.Random(label)
    tasks = []
    turn = TURNS  # each kind goes round the clinics across windows
    started = time.perf_counter()
    for serial, (offset, kind) in enumerate(schedule(args), start=1):
        delay = started + offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        clinic = clinics[turn[kind] % len(clinics)]
        turn[kind] += 1
        if kind == "visit":
            job = visit(client, clinic, rng, f"{label}-{serial:05d}", win)
        elif kind == "bill":
            job = bill(client, clinic, args.batch_size, win)
        else:
            job = remit(client, clinic, f"{label.upper()}{serial:05d}", win, url)
        tasks.append(asyncio.create_task(job))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            win.outcomes[f"client error {type(result).__name__}"] += 1
    return win, time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def database_figures(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    with engine.connect() as connection:
        size = connection.scalar(text("SELECT pg_database_size(current_database())"))
        tables = {
            row[0]: (row[1], row[2], row[3], row[4])
            for row in connection.execute(
                text(
                    "SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), n_live_tup FROM pg_stat_user_tables"
                )
            )
        }
        sizes = dict(
            connection.execute(text("SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables")).all()
        )
    engine.dispose()
    return {"size": size, "tables": tables, "sizes": sizes}


# -- the report -----------------------------------------------------------------------------------------------

OPERATIONS = [
    "check",
    "save",
    "sign",
    "page note",
    "page /notes",
    "page /queue",
    "claims build",
    "claims refused",
    "batch 837P",
    "batch sent",
    "835 upload",
    "835 posted (job)",
]


def window_row(win: Window, wall: float, cpu: dict[str, float], grown: int, args: argparse.Namespace) -> dict[str, Any]:
    row: dict[str, Any] = {"wall": wall, "cpu": cpu, "grown": grown, "claims": win.claims, "payments": win.payments}
    for operation in OPERATIONS:
        values = win.latencies.get(operation, [])
        row[operation] = (
            (len(values), statistics.median(values) * 1000, percentile(values, 0.95) * 1000) if values else None
        )
    row["outcomes"] = dict(win.outcomes)
    return row


def print_window(row: dict[str, Any], args: argparse.Namespace) -> None:
    simulated = args.sim_minutes / 60
    print(f"  wall {row['wall']:.1f} s for {args.sim_minutes} simulated minutes (x{row['sim_speed']:.1f})")
    for operation in OPERATIONS:
        figures = row[operation]
        if figures:
            count, p50, p95 = figures
            print(
                f"    {operation:18} n {count:5d}  p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  "
                f"{count / simulated:7.0f} per simulated hour"
            )
    print(f"    claims built {row['claims']}, claim payments posted {row['payments']}")
    print("    outcomes  " + ", ".join(f"{k}: {v}" for k, v in sorted(row["outcomes"].items())))
    print("    CPU s     " + ", ".join(f"{k} {v:.1f}" for k, v in row["cpu"].items()))
    print(f"    database  +{row['grown'] / 1e6:.1f} MB, load average {row['load']}")


def print_medians(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    simulated_hours = args.sim_minutes / 60
    print(f"\nmedians of {len(rows)} windows (one simulated hour each at 1/10 of 500 clinics' peak)")
    for operation in OPERATIONS:
        present = [r[operation] for r in rows if r[operation]]
        if present:
            count = statistics.median(p[0] for p in present)
            p50 = statistics.median(p[1] for p in present)
            p95 = statistics.median(p[2] for p in present)
            print(
                f"  {operation:18} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  "
                f"{count / simulated_hours:7.0f} per simulated hour"
            )
    wall = statistics.median(r["wall"] for r in rows)
    cores = len(os.sched_getaffinity(0))
    print(f"  wall {wall:.1f} s per window; the machine has {cores} cores = {cores * wall:.0f} core-seconds a window")
    totals = 0.0
    for name in rows[0]["cpu"]:
        used = statistics.median(r["cpu"][name] for r in rows)
        if name not in ("postgres shared", "load generator"):
            totals += used / simulated_hours
        per_hour = used / simulated_hours  # CPU seconds per simulated hour of the 1/10 load
        print(
            f"  CPU {name:18} {used:7.1f} s a window = {used / wall:5.2f} cores at x{args.speedup:g} "
            f"= {per_hour / 3600:5.3f} cores in real time"
        )
    print(
        f"  ptbill (server + worker + its PostgreSQL backends): {totals:.1f} CPU s per simulated hour, "
        f"{totals / 3600:.3f} cores at 1/10 load in real time; x10 for 500 clinics: {totals * 10 / 3600:.2f} cores"
    )
    grown = statistics.median(r["grown"] for r in rows)
    print(f"  database growth {grown / 1e6:.1f} MB per simulated peak hour")
    claims = statistics.median(r["claims"] for r in rows)
    print(f"  claims built per simulated hour {claims / simulated_hours:.0f} (target 1,000)")


def print_scans(before: dict[str, Any], after: dict[str, Any]) -> None:
    print("\ntables read by sequential scans during the windows (rows read), beside index scans")
    rows = []
    for name, (seq, read, idx, live) in after["tables"].items():
        old = before["tables"].get(name, (0, 0, 0, 0))
        rows.append((read - old[1], seq - old[0], idx - old[2], live, name))
    for read, seq, idx, live, name in sorted(rows, reverse=True)[:12]:
        print(f"  {name:28} seq scans {seq:7d}  rows read {read:10d}  index scans {idx:8d}  live rows {live:8d}")
    grown = sorted(((after["sizes"][n] - before["sizes"].get(n, 0), n) for n in after["sizes"]), reverse=True)
    print("largest growth: " + ", ".join(f"{n} +{g / 1e6:.1f} MB" for g, n in grown[:6]))


HOT_TABLES = ["encounters", "encounter_checks", "claims", "claim_lines", "audit_log", "sessions", "job_runs"]
HOT_QUERIES = {
    "session lookup (every request)": "SELECT s.id, s.user_id FROM sessions s WHERE s.token_hash = "
    "'0000000000000000000000000000000000000000000000000000000000000000' AND s.revoked_at IS NULL",
    "same-day notes (every check)": "SELECT e.id FROM encounters e JOIN patients p ON p.id = e.patient_id "
    "JOIN encounter_checks c ON c.encounter_id = e.id AND c.encounter_version = e.version "
    "WHERE e.clinic_id = :clinic AND p.clinic_id = :clinic AND p.chart_number = 'HPT-1003' "
    "AND e.date_of_service = DATE '2026-03-02' AND e.external_id <> 'x' ORDER BY e.id, c.id",
    "signed notes of the week (every check)": "SELECT DISTINCT date_of_service FROM encounters WHERE "
    "clinic_id = :clinic AND patient_id = :patient AND status IN ('signed', 'billed') "
    "AND date_of_service BETWEEN DATE '2026-03-02' AND DATE '2026-03-08'",
    "note by its id (save)": "SELECT id FROM encounters WHERE clinic_id = :clinic AND external_id = 'HPT-x'",
    "queue page (signed notes)": "SELECT id FROM encounters WHERE clinic_id = :clinic AND status = 'signed' "
    "ORDER BY date_of_service DESC, id DESC LIMIT 50",
    "claims of the clinic (lists)": "SELECT id FROM claims WHERE clinic_id = :clinic ORDER BY id DESC LIMIT 50",
    "claim by control number (835 posting)": "SELECT id FROM claims WHERE clinic_id = :clinic "
    "AND patient_control_number = 'HPT-x'",
    "claim lines of claims (835 posting)": "SELECT * FROM claim_lines WHERE claim_id IN "
    "(SELECT id FROM claims WHERE clinic_id = :clinic ORDER BY id DESC LIMIT 50)",
    "audit of a record (note history)": "SELECT id FROM audit_log WHERE entity = 'encounter' "
    "AND entity_id = '1' ORDER BY id",
    "job poll (worker)": "SELECT id FROM job_runs WHERE status = 'queued' ORDER BY id LIMIT 1",
}


def explain(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        print("\nindexes of the hot tables")
        for table in HOT_TABLES:
            names = connection.execute(
                text("SELECT indexdef FROM pg_indexes WHERE tablename = :t ORDER BY indexname"), {"t": table}
            ).scalars()
            for definition in names:
                print(f"  {definition.split(' USING ')[0].replace('CREATE ', '')}: {definition.split(' USING ')[1]}")
        clinic = connection.scalar(text("SELECT clinic_id FROM encounters GROUP BY clinic_id ORDER BY count(*) DESC"))
        patient = connection.scalar(text("SELECT patient_id FROM encounters WHERE clinic_id = :c"), {"c": clinic})
        print("\nEXPLAIN (ANALYZE) of the hot queries on the seeded data")
        for name, query in HOT_QUERIES.items():
            try:
                plan = connection.execute(
                    text(f"EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) {query}"), {"clinic": clinic, "patient": patient}
                ).scalars()
            except Exception as exc:  # a column another branch renamed: say so and go on
                print(f"  {name}: not explained ({type(exc).__name__})")
                connection.rollback()
                continue
            lines = list(plan)
            nodes = [line.strip() for line in lines if "Scan" in line or "Join" in line]
            print(f"  {name}: {' | '.join(nodes)[:300]}; {lines[-1].strip()}")
    engine.dispose()


# -- main -----------------------------------------------------------------------------------------------------


async def drive(base: str, url: str, args: argparse.Namespace, meter: CpuMeter) -> list[dict[str, Any]]:
    limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=args.connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        clinics = [await open_clinic(client, n) for n in range(args.clinics)]
        print(f"logged in to {len(clinics)} clinics; warm-up window ...", flush=True)
        warm = argparse.Namespace(**{**vars(args), "sim_minutes": args.sim_minutes / 4})
        await run_window(client, clinics, warm, f"warm{int(time.time()) % 100000}", url)
        rows = []
        run = f"r{int(time.time()) % 100000}"  # note ids unique across runs on a reused database
        speeds = [args.speedup] * args.windows + list(args.probe)
        measured = args
        for number, speed in enumerate(speeds):
            args = argparse.Namespace(**{**vars(measured), "speedup": speed})
            before = database_figures(url)
            meter.start()
            win, wall = await run_window(client, clinics, args, f"{run}w{number}", url)
            cpu = meter.stop()
            after = database_figures(url)
            row = window_row(win, wall, cpu, after["size"] - before["size"], args)
            row["sim_speed"] = args.sim_minutes * 60 / wall
            row["load"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
            row["before"], row["after"] = before, after
            print(f"window {number + 1}:" if number < args.windows else f"probe window at x{args.speedup:g}:")
            print_window(row, args)
            for refusal in win.refusals[:3]:
                print(f"    refused: {refusal}")
            rows.append(row)
    return rows[: measured.windows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clinics", type=int, default=50)
    parser.add_argument("--notes", type=int, default=60, help="notes seeded per clinic")
    parser.add_argument("--patients", type=int, default=60, help="patients seeded per clinic")
    parser.add_argument("--speedup", type=float, default=10.0, help="simulated time / real time")
    parser.add_argument("--sim-minutes", type=float, default=30.0, help="simulated minutes per window")
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--peak", type=float, default=2.0, help="peak hour / mean hour of a 10-hour clinic day")
    parser.add_argument("--batch-size", type=int, default=25, help="claims per batch built")
    parser.add_argument("--connections", type=int, default=16, help="the load generator's connections at most")
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--probe", type=float, nargs="*", default=[], help="speed-ups of one more window each")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="scale17_clinic_scale")
    parser.add_argument("--seeded", action="store_true", help="reuse the database seeded by an earlier run")
    parser.add_argument("--seed-only", action="store_true", help="seed the database, then stop")
    args = parser.parse_args()

    url = create_database(args.postgres, args.db, fresh=not args.seeded)
    if not args.seeded:
        print(f"seeding {args.clinics} clinics ({args.notes} notes, {args.patients} patients each) ...", flush=True)
        seed_clinics(url, args.clinics, args.notes, args.patients)
    if args.seed_only:
        return
    with tempfile.TemporaryDirectory(prefix="scale17-") as tmp:
        port = 18000 + os.getpid() % 1000
        base = f"http://127.0.0.1:{port}"
        server, worker = start_processes(url, Path(tmp), port, args.worker_concurrency)
        try:
            wait_until_up(base, server, timeout=120)
            meter = CpuMeter(url, args.db, {"server (2 workers)": server.pid, "job worker": worker.pid})
            first = database_figures(url)
            rows = asyncio.run(drive(base, url, args, meter))
        finally:
            for process in (server, worker):
                process.terminate()
            for process in (server, worker):
                process.wait(timeout=60)
    print_medians(rows, args)
    print_scans(rows[0]["before"], rows[-1]["after"])
    explain(url)
    print(
        f"\ndatabase {args.db}: {first['size'] / 1e6:.0f} MB before the windows, "
        f"{rows[-1]['after']['size'] / 1e6:.0f} MB after"
    )


if __name__ == "__main__":
    main()
