"""Reference YAML is parsed once per content: the cache gives back the same document, a changed file is
read anew, and a file that does not parse is refused every time, naming its line, and never cached."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ptbill.domain.errors import ReferenceDataError
from ptbill.reference.yaml_cache import load_yaml_file


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("PTBILL_CACHE_DIR", str(folder))
    return folder


def test_a_cached_document_is_the_document_and_a_changed_file_is_read_anew(cache: Path, tmp_path: Path) -> None:
    source = tmp_path / "rule.yaml"
    source.write_text("value: 3\nfrom: 2026-01-01\n", encoding="utf-8")
    first = load_yaml_file(source, "rule.yaml")
    assert first == {"value": 3, "from": date(2026, 1, 1)}
    assert len(list((cache / "yaml").iterdir())) == 1
    assert load_yaml_file(source, "rule.yaml") == first  # from the cache
    source.write_text("value: 4\nfrom: 2026-01-01\n", encoding="utf-8")  # same size, other content
    assert load_yaml_file(source, "rule.yaml")["value"] == 4
    assert len(list((cache / "yaml").iterdir())) == 2


def test_a_file_that_does_not_parse_is_refused_each_time_and_never_cached(cache: Path, tmp_path: Path) -> None:
    source = tmp_path / "bad.yaml"
    source.write_text("a: 1\na: 2\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ReferenceDataError, match=r"bad\.yaml: line 2: duplicate key 'a'"):
            load_yaml_file(source, "bad.yaml")
    assert not (cache / "yaml").exists() or not list((cache / "yaml").iterdir())


def test_a_cache_folder_that_cannot_be_written_only_costs_the_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("PTBILL_CACHE_DIR", str(blocker))
    source = tmp_path / "rule.yaml"
    source.write_text("value: 3\n", encoding="utf-8")
    assert load_yaml_file(source, "rule.yaml") == {"value": 3}
