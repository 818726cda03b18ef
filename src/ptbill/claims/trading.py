"""Trading-partner settings for outgoing X12: submitter and receiver ids, per payer or clearinghouse.

A YAML file: a ``default`` block and optional ``payers: {<payer id>: {...}}`` blocks that override it
(a payer billed directly rather than through the clearinghouse).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ptbill.claims.x12_837p.writer import Trading
from ptbill.domain.errors import PtbillError, ReferenceDataError
from ptbill.domain.identifiers import is_ascii_digits
from ptbill.x12.charset import describe, outside_x12
from ptbill.x12.syntax import Delimiters

TEST_TRADING = Trading(
    submitter_id="PTBILLTEST",
    submitter_name="PTBILL TEST SUBMITTER",
    contact_name="BILLING OFFICE",
    contact_phone="8005550100",
    receiver_id="RECEIVERTEST",
    receiver_name="TEST CLEARINGHOUSE",
    usage="T",
)
_FIELDS = {
    "submitter_id",
    "submitter_name",
    "contact_name",
    "contact_phone",
    "receiver_id",
    "receiver_name",
    "sender_qualifier",
    "receiver_qualifier",
    "usage",
}


class TradingConfigError(PtbillError):
    pass


def _apply(base: Trading, block: dict[str, Any], where: str) -> Trading:
    unknown = set(block) - _FIELDS - {"delimiters"}
    if unknown:
        raise TradingConfigError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    values: dict[str, str] = {k: str(v) for k, v in block.items() if k in _FIELDS}
    if "usage" in values and values["usage"] not in ("P", "T"):
        raise TradingConfigError(f"{where}: usage must be P (production) or T (test)")
    if "contact_phone" in values and not is_ascii_digits(values["contact_phone"]):
        raise TradingConfigError(f"{where}: contact_phone must be digits only")
    fields: dict[str, Any] = dict(values)
    trading = replace(base, **fields)
    if "delimiters" in block:
        try:
            trading = replace(trading, delimiters=Delimiters(**block["delimiters"]))
        except (TypeError, ValueError) as exc:
            raise TradingConfigError(f"{where}: delimiters: {exc}") from None
    for name in ("submitter_id", "receiver_id"):
        if not 1 <= len(getattr(trading, name)) <= 15:
            raise TradingConfigError(f"{where}: {name} must be 1 to 15 characters (ISA06/ISA08)")
    # Ids and qualifiers are sent as written: printable ASCII, and none of the interchange's delimiters.
    for name in ("submitter_id", "receiver_id", "sender_qualifier", "receiver_qualifier"):
        value = getattr(trading, name)
        outside = outside_x12(value)
        if outside:
            raise TradingConfigError(f"{where}: {name} has characters outside the X12 set: {describe(outside)}")
        if trading.delimiters.forbidden() & set(value):
            raise TradingConfigError(f"{where}: {name} contains an X12 delimiter of this interchange")
    return trading


class TradingConfig:
    def __init__(self, default: Trading, payers: dict[str, Trading]) -> None:
        self.default = default
        self.payers = payers

    @classmethod
    def load(cls, path: Path) -> TradingConfig:
        # PyYAML (~10 ms to import) only with --trading: `ptbill claim` without it and the reference data's
        # cached tables (reference.yaml_cache) do not need it.
        from ptbill.reference.strict_yaml import load_strict_yaml

        try:
            data = load_strict_yaml(path.read_text(encoding="utf-8"), str(path)) or {}
        except OSError as exc:
            raise TradingConfigError(f"{path}: cannot read the trading settings: {exc}") from None
        except ReferenceDataError as exc:  # a key written twice, or not YAML at all
            raise TradingConfigError(f"cannot read the trading settings: {exc}") from None
        if not isinstance(data, dict):
            raise TradingConfigError(f"{path}: the trading settings must be a mapping (default:, payers:)")
        default = _apply(TEST_TRADING, data.get("default") or {}, f"{path}: default")
        payers = {
            str(payer): _apply(default, block or {}, f"{path}: payers.{payer}")
            for payer, block in (data.get("payers") or {}).items()
        }
        return cls(default, payers)

    def for_payer(self, payer_id: str) -> Trading:
        return self.payers.get(payer_id, self.default)
