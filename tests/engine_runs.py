"""Count the rules engine's runs in a test, wherever a ptbill module imported ``check_encounter``."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from ptbill.rules import engine


def count_engine_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the notes the engine checks from now on, one entry per run."""
    runs: list[str] = []
    original = engine.check_encounter

    def counting(encounter: Any, *args: Any, **kwargs: Any) -> Any:
        runs.append(encounter.id)
        return original(encounter, *args, **kwargs)

    for module in [m for name, m in list(sys.modules.items()) if name.startswith("ptbill.") and m is not None]:
        if getattr(module, "check_encounter", None) is original:
            monkeypatch.setattr(module, "check_encounter", counting)
    return runs
