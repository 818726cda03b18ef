"""Test-wide fixtures and the rule-case plugin (YAML cases named as sentences, under tests/rule_cases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rule_case_plugin import RuleCaseFile

pytest_plugins = ["pytester"]  # tests of the rule-case collector run it on temporary files

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and "rule_cases" in file_path.parts:
        return RuleCaseFile.from_parent(parent, path=file_path)
    return None
