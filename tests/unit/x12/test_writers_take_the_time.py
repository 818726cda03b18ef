"""The X12 writers never ask the system for the time: the caller passes it (read from ``domain.clock``)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from ptbill.claims.x12_837p.writer import write_batch

SRC = Path(__file__).resolve().parents[3] / "src" / "ptbill"
SYSTEM_CLOCK_CALL = re.compile(r"\b(?:datetime\.now|datetime\.utcnow|date\.today|time\.time)\(")


def test_the_837p_writer_needs_a_creation_time_from_its_caller() -> None:
    created = inspect.signature(write_batch).parameters["created"]
    assert created.default is inspect.Parameter.empty
    with pytest.raises(TypeError, match="created"):
        write_batch([], None, None)  # type: ignore[arg-type, call-arg]


@pytest.mark.parametrize("package", ["x12", "claims/x12_837p", "remittance/x12_835"])
def test_no_x12_module_reads_the_system_clock(package: str) -> None:
    calls = [
        f"{path.relative_to(SRC)}:{number}"
        for path in sorted((SRC / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if SYSTEM_CLOCK_CALL.search(line)
    ]
    assert calls == []
