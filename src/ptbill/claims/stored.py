"""A claim as it is stored when it is built: JSON that reads back into the same ``Claim``, field for field.

Money keeps its digits (``"48.00"``, a string), dates are ISO, enums their values, tuples lists. Every
later export (837P, CMS-1500, FHIR) starts from this, so what is downloaded again is what was built,
whatever the rules, parameters or the clinic's settings say by then.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from ptbill.domain.claim import Claim
from ptbill.domain.errors import PtbillError

STORED_FORMAT = 1


class StoredClaimError(PtbillError):
    """Stored claim JSON that does not read back into a Claim (a format ptbill does not know, a field gone)."""


def claim_to_json(claim: Claim) -> dict[str, Any]:
    return {"format": STORED_FORMAT, "claim": _to_json(claim)}


def claim_from_json(document: dict[str, Any]) -> Claim:
    if document.get("format") != STORED_FORMAT:
        raise StoredClaimError(f"stored claim format {document.get('format')!r} is not {STORED_FORMAT}")
    try:
        claim = _from_json(Claim, document["claim"])
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise StoredClaimError(f"the stored claim does not read back: {type(exc).__name__} {exc}") from None
    assert isinstance(claim, Claim)
    return claim


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _to_json(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_to_json(item) for item in value]
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _from_json(kind: Any, raw: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(kind) if option is not type(None)]
        return None if raw is None else _from_json(options[0], raw)
    if origin is tuple:
        item = typing.get_args(kind)[0]
        return tuple(_from_json(item, value) for value in raw)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        fields = {field.name for field in dataclasses.fields(kind)}
        unknown = set(raw) - fields
        if unknown:
            raise ValueError(f"{kind.__name__} has no field {', '.join(sorted(unknown))}")
        return kind(**{name: _from_json(hints[name], value) for name, value in raw.items()})
    if kind is Decimal:
        return Decimal(raw)
    if kind is date:
        return date.fromisoformat(raw)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(raw)
    if kind in (str, int, bool) and not isinstance(raw, kind):
        raise TypeError(f"{raw!r} is not {kind.__name__}")
    return raw
