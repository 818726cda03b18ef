"""The shape of the application half: no module a newcomer cannot read in one sitting, one clock, and
services by feature (the old services/app.py hub is gone, and nothing brings it back)."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "ptbill"
MAX_LINES = 500
SYSTEM_TIME = re.compile(r"\bdate\.today\(\)|\bdatetime\.now\(|\bdatetime\.utcnow\b")
SHIM_IMPORT = re.compile(r"from ptbill\.services\.app import|from ptbill\.services import app\b")


def _modules(*packages: str) -> dict[str, Path]:
    return {str(path.relative_to(SRC)): path for package in packages for path in sorted((SRC / package).rglob("*.py"))}


def _line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_of_services_web_or_api_is_over_500_lines() -> None:
    long = {name for name, path in _modules("services", "web", "api").items() if _line_count(path) > MAX_LINES}
    assert long == set(), f"split these by feature: {sorted(long)}"


def test_only_the_clock_asks_the_system_for_the_date() -> None:
    asking = {
        name
        for name, path in _modules(".").items()
        if name != "domain/clock.py" and SYSTEM_TIME.search(path.read_text(encoding="utf-8"))
    }
    assert asking == set(), f"take today/now from a Clock the caller passes: {sorted(asking)}"


def test_the_system_time_pattern_finds_each_way_of_asking() -> None:
    for text in ("x = date.today()", "datetime.now(UTC)", "datetime.utcnow()"):
        assert SYSTEM_TIME.search(text), text
    assert not SYSTEM_TIME.search("clock.today()")


def test_no_module_imports_a_services_hub() -> None:
    assert not (SRC / "services" / "app.py").exists(), "services live in their feature modules"
    importers = {name for name, path in _modules(".").items() if SHIM_IMPORT.search(path.read_text(encoding="utf-8"))}
    assert importers == set(), f"import the feature module instead: {sorted(importers)}"
