"""The dataclass methods ``ptbill`` commands make are compiled once per machine (``cli/dataclass_code.py``): a
second start compiles none of them again, the classes behave exactly as ``dataclasses`` makes them, and a
damaged or unwritable cache only costs the compiling it would have saved."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ptbill.cli.dataclass_code import CompiledSources

ROOT = Path(__file__).resolve().parents[3]

# Start as `ptbill` does, load what `ptbill check` loads, and say what was compiled and what was found.
PROBE = """
import json, sys
from ptbill.cli.dataclass_code import cache_file, install
sources = install()
import ptbill.rules.engine, ptbill.cli.check_cmd
print(json.dumps({"added": sources.added, "known": len(sources.codes), "file": str(cache_file())}))
"""


def start(cache: Path) -> dict[str, object]:
    env = {**os.environ, "PTBILL_CACHE_DIR": str(cache)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def test_a_second_start_compiles_none_of_the_methods_the_first_compiled(tmp_path: Path) -> None:
    first = start(tmp_path)
    assert isinstance(first["added"], int)
    assert first["added"] > 100  # the check path's fifty classes, several methods each
    cached = Path(str(first["file"]))
    assert cached.is_file()
    assert oct(cached.parent.stat().st_mode & 0o777) == "0o700"
    second = start(tmp_path)
    assert second["added"] == 0
    assert second["known"] == first["added"]


def test_a_damaged_cache_is_compiled_anew_and_replaced(tmp_path: Path) -> None:
    cached = Path(str(start(tmp_path)["file"]))
    cached.write_bytes(b"not marshal data")
    again = start(tmp_path)
    assert again["known"] == again["added"]
    assert isinstance(again["added"], int)
    assert again["added"] > 100
    assert start(tmp_path)["added"] == 0


def test_an_unwritable_cache_folder_only_costs_the_compiling(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    answer = start(blocked)
    assert isinstance(answer["added"], int)
    assert answer["added"] > 100


def test_classes_made_through_the_cache_behave_as_dataclasses_makes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def made() -> type:
        @dataclasses.dataclass(frozen=True, slots=True)
        class Line:
            code: str
            units: int = 1
            modifiers: tuple[str, ...] = ()

        return Line

    plain = made()
    sources = CompiledSources(tmp_path / "code.marshal")
    monkeypatch.setattr(dataclasses, "exec", sources.exec, raising=False)
    cached, again = made(), made()
    assert sources.added > 0
    assert len(sources.codes) == sources.added  # the second class found every method the first compiled
    for kind in (plain, cached, again):
        line = kind("97012", modifiers=("GP",))
        assert repr(line).endswith(".Line(code='97012', units=1, modifiers=('GP',))")
        assert line == kind("97012", 1, ("GP",))
        assert hash(line) == hash(kind("97012", 1, ("GP",)))
        with pytest.raises(dataclasses.FrozenInstanceError):
            line.units = 2
    for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__"):
        assert getattr(cached, name).__code__.co_code == getattr(plain, name).__code__.co_code, name
    sources.save()
    assert CompiledSources(tmp_path / "code.marshal").codes.keys() == sources.codes.keys()
