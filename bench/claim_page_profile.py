"""One claim page, profiled in process against a seeded database: each SQL statement with its time, the
statements per view, the app's CPU per view, and (``--cprofile``) the functions that spend the time.

Setup: a database ``bench/pages.py`` seeded (a SQLite file, or a PostgreSQL URL it was copied into with
``--copy-from``). The claim opened is the one ``bench/pages_load.py`` opens: the answered claim with the most
posted answers. Timed: one warm-up view, then N views through the ASGI app as the demo biller.

Run: .venv/bin/python bench/claim_page_profile.py DATABASE_URL [--copy-from sqlite:////path] [--views N]
     [--statements] [--cprofile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pages import _empty_postgres, copy_database  # noqa: E402
from pages_load import claim_to_open  # noqa: E402
from ptbill.domain.clock import FixedClock  # noqa: E402
from ptbill.server import create_app, settle_heap  # noqa: E402
from ptbill.settings import Settings  # noqa: E402
from ptbill.web.routes import claim_page as routes  # noqa: E402
from tests.demo_day import DEMO_TODAY  # noqa: E402
from tests.integration.page_forms import logged_in  # noqa: E402

statements: list[tuple[str, float]] = []


@event.listens_for(Engine, "before_cursor_execute")
def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    conn.info["started"] = time.perf_counter()


@event.listens_for(Engine, "after_cursor_execute")
def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    statements.append((statement, (time.perf_counter() - conn.info.pop("started")) * 1000))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--copy-from")
    parser.add_argument("--views", type=int, default=30)
    parser.add_argument("--statements", action="store_true", help="print each statement of one view")
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args()
    if args.copy_from:
        _empty_postgres(args.database_url)
        copy_database(args.copy_from, args.database_url)
    claim_id = claim_to_open(args.database_url)
    settings = Settings(
        args.database_url,
        Path(tempfile.mkdtemp(prefix="ptbill-claim-page-")),
        "bench-secret-" + "x" * 32,
        secure_cookies=False,
        clock=FixedClock(DEMO_TODAY),
    )
    app = create_app(settings)
    settle_heap()
    client = logged_in(app, "biller@harbor.example")
    path = f"/claims/{claim_id}"
    assert client.get(path).status_code == 200
    statements.clear()
    client.get(path)
    one_view = list(statements)
    if args.statements:
        for sql, ms in one_view:
            print(f"{ms:7.2f} ms  {' '.join(sql.split())[:220]}")
    print(f"{len(one_view)} statements per view, {sum(ms for _, ms in one_view):.1f} ms in them")
    wall, cpu = [], []
    profile = cProfile.Profile() if args.cprofile else None
    if profile:  # the page is built on the server's thread: profile the route's body there
        page = routes._page

        def profiled(*a: Any, **k: Any) -> Any:
            profile.enable()
            try:
                return page(*a, **k)
            finally:
                profile.disable()

        routes._page = profiled  # type: ignore[assignment]
    for _ in range(args.views):
        started, used = time.perf_counter(), time.process_time()
        client.get(path)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    wall_ms, cpu_ms = statistics.median(wall), statistics.median(cpu)
    print(f"{args.views} views: wall median {wall_ms:.1f} ms, app CPU median {cpu_ms:.1f} ms")
    if profile:
        pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
