"""`services.claims.claims_from_files` runs each step over the whole chunk (parse all, check all, build all), yet
gives what one file at a time through every step gives: claims, refusals and problems in the files' order, and
the first file's unexpected exception, not the first step's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ptbill.claims.build import build_claim
from ptbill.domain.encounter import Encounter
from ptbill.reference.catalog import default_catalog
from ptbill.rules.engine import check_encounter
from ptbill.services import claims

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def texts() -> dict[str, bytes]:
    given = {path.name: path.read_bytes() for path in EXAMPLES}
    given["broken.json"] = b'{"id": "x"'
    given["missing-fields.json"] = b'{"id": "x"}'
    return given


def one_at_a_time(files: list[str], read: Any, allow_blocked: bool) -> claims.ClaimRun[Any]:
    """Each file through every step before the next file: the order the steps ran in before."""
    run: claims.ClaimRun[Any] = claims.ClaimRun()
    for name in files:
        part = claims.claims_from_files([name], read, default_catalog(), allow_blocked=allow_blocked)
        run.extend(part)
    return run


def reader(given: dict[str, bytes]) -> Any:
    def read(name: str) -> bytes:
        if name not in given:
            raise FileNotFoundError(2, "No such file or directory")
        return given[name]

    return read


@pytest.mark.parametrize("allow_blocked", [False, True])
def test_a_chunk_gives_what_one_file_at_a_time_gives(allow_blocked: bool) -> None:
    given = texts()
    files = [*given, "missing.json", *reversed(list(given))]
    read = reader(given)
    whole = claims.claims_from_files(files, read, default_catalog(), allow_blocked=allow_blocked)
    alone = one_at_a_time(files, read, allow_blocked)
    assert whole.claims == alone.claims
    assert whole.refused == alone.refused
    assert whole.problems == alone.problems
    assert whole.claims
    assert whole.problems
    assert allow_blocked or whole.refused


def test_the_unexpected_exception_raised_is_the_earliest_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """A later file's parse fails (a bug) before an earlier file's check or build has run: the earlier file's
    exception is the one raised, as it was when each file went through every step in turn."""
    given = texts()
    first, second, third = sorted(name for name in given if name.startswith("medicare"))[:3]

    def read(name: str) -> bytes:
        if name == third:
            raise KeyError("a bug while reading")
        return given[name]

    def check(encounter: Encounter, *args: Any, **kwargs: Any) -> Any:
        if encounter.id == claims.parse_encounter(given[second], second).id:
            raise ValueError("a bug while checking")
        return check_encounter(encounter, *args, **kwargs)

    monkeypatch.setattr(claims, "check_encounter", check)
    with pytest.raises(ValueError, match="while checking"):
        claims.claims_from_files([first, second, third], read, default_catalog(), allow_blocked=True)
    with pytest.raises(KeyError, match="while reading"):
        claims.claims_from_files([first, third, second], read, default_catalog(), allow_blocked=True)

    def build(encounter: Encounter, *args: Any, **kwargs: Any) -> Any:
        if encounter.id == claims.parse_encounter(given[first], first).id:
            raise TypeError("a bug while building")
        return build_claim(encounter, *args, **kwargs)

    monkeypatch.setattr(claims, "build_claim", build)
    with pytest.raises(TypeError, match="while building"):
        claims.claims_from_files([first, second, third], read, default_catalog(), allow_blocked=True)
