"""The shape of the application half: no module a newcomer cannot read in one sitting, one clock.

Each pending list names modules another piece of work is moving; it is emptied when that work lands.
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "ptbill"
MAX_LINES = 500
# Until the reports split lands (services/reports.py is within the limit today, but is being rewritten).
LONG_PENDING = {"services/reports.py", "web/routes/reports.py"}
# Until the reports, denials and X12 work lands: the modules still asking the system for the date.
CLOCK_PENDING = {
    "services/reports.py",
    "web/routes/reports.py",
    "web/routes/denials.py",
    "remittance/denials.py",
    "claims/x12_837p/writer.py",
}
SYSTEM_TIME = re.compile(r"\bdate\.today\(\)|\bdatetime\.now\(|\bdatetime\.utcnow\b")
# Only these may import the re-export shim services/app.py, until they move to the feature modules.
SHIM_USERS = {"services/reports.py", "services/denials.py", "web/routes/reports.py", "web/routes/denials.py"}
SHIM_IMPORT = re.compile(r"from ptbill\.services\.app import|from ptbill\.services import app\b")


def _modules(*packages: str) -> dict[str, Path]:
    return {str(path.relative_to(SRC)): path for package in packages for path in sorted((SRC / package).rglob("*.py"))}


def _line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_of_services_web_or_api_is_over_500_lines() -> None:
    long = {name for name, path in _modules("services", "web", "api").items() if _line_count(path) > MAX_LINES}
    assert long - LONG_PENDING == set(), f"split these by feature: {sorted(long - LONG_PENDING)}"


def test_only_the_clock_asks_the_system_for_the_date() -> None:
    asking = {
        name
        for name, path in _modules(".").items()
        if name != "domain/clock.py" and SYSTEM_TIME.search(path.read_text(encoding="utf-8"))
    }
    assert asking - CLOCK_PENDING == set(), f"take today/now from a Clock the caller passes: {sorted(asking)}"
    assert CLOCK_PENDING - asking == set(), f"take these off CLOCK_PENDING: {sorted(CLOCK_PENDING - asking)}"


def test_the_system_time_pattern_finds_each_way_of_asking() -> None:
    for text in ("x = date.today()", "datetime.now(UTC)", "datetime.utcnow()"):
        assert SYSTEM_TIME.search(text), text
    assert not SYSTEM_TIME.search("clock.today()")


def test_only_the_modules_being_moved_import_the_services_shim() -> None:
    importers = {name for name, path in _modules(".").items() if SHIM_IMPORT.search(path.read_text(encoding="utf-8"))}
    assert importers - SHIM_USERS == set(), f"import the feature module instead: {sorted(importers - SHIM_USERS)}"
    tests_and_bench = [
        str(path)
        for folder in ("tests", "bench")
        for path in (SRC.parents[1] / folder).rglob("*.py")
        if path.name != "test_layout.py" and SHIM_IMPORT.search(path.read_text(encoding="utf-8"))
    ]
    assert tests_and_bench == []
