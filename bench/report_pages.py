"""Every report page with 5,000 claims and their posted payments (target: p95 ≤ 300 ms per page).

Setup (not timed): the demo clinic (``seed_demo`` + ``simulate_payments``: notes, claims and the payers'
835s through the reader and posting), then its claims, lines and posted answers copied with new patient
control numbers until there are N claims, each copy answered as its original was. Timed: each report page
(and the A/R aging CSV and PNG) through the ASGI app as the demo biller: the first view (which reads each
posted answer's JSON once for the process), then VIEWS more, p50 and p95. On PostgreSQL the tables are
ANALYZEd after seeding, as autovacuum would.
Run: .venv/bin/python bench/report_pages.py [CLAIMS] [DATABASE_URL]   (default 5000, a temporary SQLite file)
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, text

from ptbill.server import create_app
from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo
from ptbill.services.demo_payments import simulate_payments
from ptbill.services.reports.registry import REPORTS
from ptbill.settings import Settings
from ptbill.storage.migrate import upgrade
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import ClaimLineRow, ClaimPaymentRow, ClaimRow

TODAY = date(2026, 4, 6)
VIEWS = 15
TARGET_MS = 300.0
CLAIM_COLUMNS = [c.name for c in ClaimRow.__table__.columns if c.name != "id"]
LINE_COLUMNS = [c.name for c in ClaimLineRow.__table__.columns if c.name not in ("id", "claim_id")]
PAYMENT_COLUMNS = [c.name for c in ClaimPaymentRow.__table__.columns if c.name not in ("id", "claim_id")]


def seed(url: str, claims: int) -> None:
    factory = session_factory(make_engine(url))
    with transaction(factory) as session:
        seed_demo(session, encounters=240, patients=60, today=TODAY)
        simulate_payments(session, today=TODAY)
    with transaction(factory) as session:
        originals = list(session.execute(select(ClaimRow.__table__)).mappings())
        lines = list(session.execute(select(ClaimLineRow.__table__)).mappings())
        answers = list(session.execute(select(ClaimPaymentRow.__table__)).mappings())
        by_claim_lines: dict[int, list[dict[str, object]]] = {}
        for line in lines:
            by_claim_lines.setdefault(line["claim_id"], []).append(dict(line))
        by_claim_answers: dict[int, list[dict[str, object]]] = {}
        for answer in answers:
            if answer["claim_id"] is not None:
                by_claim_answers.setdefault(answer["claim_id"], []).append(dict(answer))
        copy = 0
        while session.scalar(select(func.count()).select_from(ClaimRow)) < claims:
            copy += 1
            for original in originals:
                pcn = f"{original['patient_control_number'][:30]}C{copy}"
                values = {c: original[c] for c in CLAIM_COLUMNS} | {"patient_control_number": pcn}
                values["corrects_claim_id"] = None
                new_id = session.execute(insert(ClaimRow.__table__).values(values).returning(ClaimRow.id)).scalar_one()
                rows = [
                    {c: ln[c] for c in LINE_COLUMNS} | {"claim_id": new_id}
                    for ln in by_claim_lines.get(original["id"], [])
                ]
                if rows:
                    session.execute(insert(ClaimLineRow.__table__), rows)
                paid = [
                    {c: a[c] for c in PAYMENT_COLUMNS} | {"claim_id": new_id, "patient_control_number": pcn}
                    for a in by_claim_answers.get(original["id"], [])
                ]
                if paid:
                    session.execute(insert(ClaimPaymentRow.__table__), paid)
        total = session.scalar(select(func.count()).select_from(ClaimRow))
        posted = session.scalar(select(func.count()).select_from(ClaimPaymentRow))
        print(f"seeded {total} claims, {posted} posted answers")
    if url.startswith("postgresql"):
        with make_engine(url).connect() as connection:  # as autovacuum would after a day of posting
            connection.execute(text("ANALYZE"))
            connection.commit()


def main() -> None:
    claims = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    folder = Path(tempfile.mkdtemp(prefix="ptbill-bench-"))
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{folder / 'bench.sqlite3'}"
    upgrade(url)
    seed(url, claims)
    app = create_app(Settings(url, folder, "b" * 40, secure_cookies=False))
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    login = {"email": "biller@harbor.example", "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=login, follow_redirects=False).status_code == 303
    urls = [f"/reports/{r.name}" for r in REPORTS]
    urls += ["/reports/ar-aging?by=patient&party=all", "/reports/ar-aging.csv", "/reports/ar-aging.png"]
    print(f"{'page':<48} {'first':>8} {'p50 ms':>8} {'p95 ms':>8}")
    worst = 0.0
    for url_ in urls:
        start = time.perf_counter()
        assert client.get(url_).status_code == 200, url_  # the first view: templates, the catalog, the answers
        first = 1000 * (time.perf_counter() - start)
        times = []
        for _ in range(VIEWS):
            start = time.perf_counter()
            response = client.get(url_)
            times.append(1000 * (time.perf_counter() - start))
            assert response.status_code == 200
        times.sort()
        p50, p95 = statistics.median(times), times[int(0.95 * (len(times) - 1))]
        worst = max(worst, p95)
        print(f"{url_:<48} {first:8.1f} {p50:8.1f} {p95:8.1f}")
    print(f"worst p95 {worst:.1f} ms (target ≤ {TARGET_MS:.0f} ms): {'ok' if worst <= TARGET_MS else 'OVER'}")


if __name__ == "__main__":
    main()
