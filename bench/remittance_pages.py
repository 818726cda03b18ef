"""The remittance and payments pages on PostgreSQL with a large check: 5,000 billed claims (bulk-inserted,
not timed), one 835 paying them (50 of them under a control number the clinic does not know, and a PLB)
uploaded through the page, then each page's render time (median of 5; target <= 300 ms).

Run: .venv/bin/python bench/remittance_pages.py [CLAIMS] [DATABASE_URL]
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from billed_claims import LINES, TOTAL, insert_billed_claims
from ptbill.domain.remittance import (
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    ClaimStatus,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from ptbill.remittance.x12_835.writer import write_835
from ptbill.server import create_app
from ptbill.services.access import hash_password
from ptbill.settings import Settings
from ptbill.storage.migrate import upgrade
from ptbill.storage.session import make_engine, session_factory
from ptbill.storage.tables import ClinicRow, UserRow

PASSWORD = "bench-password-for-pages"
STRAYS = 50


def seed(url: str, count: int) -> None:
    factory = session_factory(make_engine(url))
    with factory() as session, session.begin():
        clinic = ClinicRow(
            name="Bench PT", npi="1245319599", tax_id="954512345", address_line1="1 Main", city="Goleta", state="CA"
        )
        clinic.zip = "93117"
        session.add(clinic)
        session.flush()
        session.add(
            UserRow(
                clinic_id=clinic.id,
                email="bench@example.org",
                name="Bench Biller",
                role="biller",
                password_hash=hash_password(PASSWORD),
            )
        )
        insert_billed_claims(session, clinic.id, count)


def an_835(count: int) -> bytes:
    payments = []
    for i in range(count):
        lines = tuple(
            ServicePayment(
                "HC",
                code,
                mods,
                charge,
                Decimal("18.00"),
                service_start=date(2026, 3, 2),
                adjustments=(Adjustment(AdjustmentGroup.CONTRACTUAL, "45", charge - Decimal("18.00")),),
            )
            for code, mods, charge in LINES
        )
        number = f"BENCH-{i:06d}" if i >= STRAYS else f"UNKNOWN-{i:06d}"
        payments.append(ClaimPayment(number, ClaimStatus.PRIMARY, TOTAL, Decimal("36.00"), service_lines=lines))
    plb = (ProviderAdjustment("1245319599", date(2026, 12, 31), "WO", "BENCH-000100", Decimal("25.00")),)
    remittance = Remittance(
        payer_name="AETNA",
        payer_id="60054",
        payee_name="BENCH PT",
        payee_npi="1245319599",
        payee_tax_id=None,
        handling=None,
        payment_amount=Decimal("36.00") * count - Decimal("25.00"),
        credit_debit=None,
        payment_method=None,
        payment_date=date(2026, 3, 20),
        trace_number="BENCHCHECK",
        originating_company_id=None,
        production_date=None,
        claims=tuple(payments),
        provider_adjustments=plb,
    )
    return write_835(remittance).encode()


def timed(client: TestClient, path: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times) * 1000


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    base = sys.argv[2] if len(sys.argv) > 2 else "postgresql://postgres@127.0.0.1:5432/test"
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}?options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        seed(url, count)
        data = an_835(count)
        with tempfile.TemporaryDirectory() as folder:
            app = create_app(
                Settings(database_url=url, data_dir=Path(folder), secret_key="b" * 40, secure_cookies=False)
            )
            client = TestClient(app)
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
            assert token is not None
            client.post("/login", data={"email": "bench@example.org", "password": PASSWORD, "csrf_token": token[1]})
            page = client.get("/remittances")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert csrf is not None
            started = time.perf_counter()
            posted = client.post("/remittances", data={"csrf_token": csrf[1]}, files=[("files", ("big.835", data))])
            upload = time.perf_counter() - started
            assert "Posted:" in posted.text, posted.text[-2000:]
            file_id = re.search(r'href="/remittances/(\d+)"', posted.text)
            assert file_id is not None
            started = time.perf_counter()
            again = client.post("/remittances", data={"csrf_token": csrf[1]}, files=[("files", ("big.835", data))])
            second = time.perf_counter() - started
            assert "Already posted:" in again.text
            summary = client.get(f"/remittances/{file_id[1]}")
            payment = re.search(r'href="/payments/(\d+)"', summary.text)
            assert payment is not None
            stray = re.search(r'href="/remittances/unmatched/(\d+)"', client.get("/remittances/unmatched").text)
            assert stray is not None
            print(f"{count:,} claim payments in one 835 of {len(data) / 1e6:.1f} MB on PostgreSQL")
            print(
                f"upload + post through the page: {upload * 1000:.0f} ms; the same file again: {second * 1000:.0f} ms"
            )
            for path in (
                "/remittances",
                f"/remittances/{file_id[1]}",
                "/payments",
                f"/payments/{payment[1]}",
                "/remittances/unmatched",
                f"/remittances/unmatched/{stray[1]}",
                f"/remittances/unmatched/{stray[1]}?q=BENCH-0001",
            ):
                print(f"  {path}: {timed(client, path):.0f} ms (median of 5)")
            app.state.ptbill.sessions.kw["bind"].dispose()
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
