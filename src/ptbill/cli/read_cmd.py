"""`ptbill read FILE...`: any supported X12 file in words (or --json), told apart by ST01 and the guide.

Exit 0 when every file was read; 2 when one cannot be read (the segment and element named) or holds a
transaction ptbill does not read.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import click

from ptbill.cli.terminal import printable

KINDS = {
    ("837", "005010X222A1"): "837P",
    ("835", "005010X221A1"): "835",
    ("270", "005010X279A1"): "270",
    ("271", "005010X279A1"): "271",
    ("271", "005010X279"): "271",
    ("276", "005010X212"): "276",
    ("277", "005010X212"): "277",
    ("277", "005010X214"): "277CA",
    ("999", "005010X231A1"): "999",
}


def _plain(value: Any) -> Any:
    """A value as JSON: money as a string with 2 decimals, dates ISO, dataclasses as objects."""
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01')):f}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _readers() -> dict[str, Callable[[bytes], Iterable[Any]]]:
    from ptbill.acknowledgments.x12_999.reader import read_999
    from ptbill.claim_status.x12_276_277.reader import read_276, read_277
    from ptbill.claim_status.x12_277ca.reader import read_277ca
    from ptbill.claims.x12_837p.reader import read_837p
    from ptbill.eligibility.x12_270_271.reader import read_270, read_271
    from ptbill.remittance.x12_835.reader import read_835

    return {
        "837P": lambda data: [
            {"claims": [_claim_837(c) for c in t.claims], "problems": [str(p) for p in t.all_problems()]}
            for t in read_837p(data)
        ],
        "835": lambda data: list(read_835(data)),
        "270": lambda data: list(read_270(data)),
        "271": lambda data: list(read_271(data)),
        "276": lambda data: list(read_276(data)),
        "277": lambda data: list(read_277(data)),
        "277CA": lambda data: list(read_277ca(data)),
        "999": lambda data: list(read_999(data)),
    }


def _claim_837(parsed: Any) -> dict[str, Any]:
    claim = parsed.claim
    charge = sum((line.charge for line in parsed.lines), Decimal(0))
    return {"patient_control_number": parsed.claim_id, "ok": claim is not None, "charge": _plain(charge)}


@click.command("read")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file: kind and transactions.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def read_command(as_json: bool, files: tuple[str, ...]) -> None:
    """Read X12 files (837P, 835, 270, 271, 276, 277, 277CA, 999) and show what they say."""
    from ptbill.cli.read_render import render
    from ptbill.domain.errors import PtbillError
    from ptbill.x12.transactions import first_transaction_kind

    readers = _readers()
    failed: list[str] = []
    results: list[dict[str, Any]] = []
    for name in files:
        try:
            data = Path(name).read_bytes()
            kind_key = first_transaction_kind(data)
            kind = KINDS.get(kind_key)
            if kind is None:
                st01, guide = kind_key
                what = f"ST01 {st01!r} under guide {guide!r}" if st01 else "no transaction set (ST..SE)"
                raise PtbillError(
                    f"unsupported transaction: {what}; ptbill reads {', '.join(sorted(set(KINDS.values())))}"
                )
            transactions = list(readers[kind](data))
        except OSError as exc:
            failed.append(f"{name}: cannot read the file: {exc.strerror or exc}")
            continue
        except PtbillError as exc:
            failed.append(f"{name}: {exc}")
            continue
        results.append({"file": name, "kind": kind, "transactions": _plain(transactions)})
        if not as_json:
            click.echo(printable(f"== {name}: {kind}"))
            for line in render(kind, transactions):
                click.echo(printable(line))
    if as_json:
        click.echo(json.dumps(results if len(files) > 1 else (results[0] if results else []), indent=2))
    for line in failed:
        click.echo(printable(" ".join(line.split())), err=True)
    sys.exit(2 if failed else 0)
