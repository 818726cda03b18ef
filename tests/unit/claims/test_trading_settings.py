"""The trading-partner settings file (sender/receiver ids per payer) is read as strictly as the
parameter files: a key written twice is refused with the file and line, not silently overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptbill.claims.trading import TradingConfig, TradingConfigError


def _load(tmp_path: Path, text: str) -> TradingConfig:
    path = tmp_path / "trading.yaml"
    path.write_text(text, encoding="utf-8")
    return TradingConfig.load(path)


def test_a_payer_written_twice_is_refused_naming_the_file_and_the_line(tmp_path: Path) -> None:
    text = "payers:\n  medicare_jf:\n    receiver_id: '111'\n  medicare_jf:\n    receiver_id: '222'\n"
    with pytest.raises(TradingConfigError) as caught:
        _load(tmp_path, text)
    message = str(caught.value)
    assert "trading.yaml" in message
    assert "duplicate key 'medicare_jf' (first on line 2)" in message


def test_a_file_that_is_not_a_mapping_is_refused_with_what_it_should_hold(tmp_path: Path) -> None:
    with pytest.raises(TradingConfigError, match="must be a mapping"):
        _load(tmp_path, "- just\n- a list\n")


def test_an_empty_file_means_the_test_defaults(tmp_path: Path) -> None:
    config = _load(tmp_path, "")
    assert config.payers == {}
    assert config.for_payer("any") is config.default
