"""Dated, cited parameters: every number or list a payer or CMS can change, with where it came from.

A parameter file is YAML mapping parameter names to ``{description, unit, reference, confidence,
values: {YYYY-MM-DD: value}}`` (OpenFisca's shape). A value may be ``{value, reference, confidence,
note}`` to carry its own citation. ``null`` as a value means "no value from that date on".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ptbill.domain.dates import DateRange
from ptbill.domain.errors import ReferenceDataError

# The C loader is several times faster; fall back when PyYAML was built without libyaml.
_Loader: type[yaml.CSafeLoader] | type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Confidence:
    """How sure we are of a value (the marks of ``reference/facts.md``)."""

    CMS = "cms"  # seen in a CMS or MAC document or data file
    CMS_QUOTED = "cms-quoted"  # CMS text reproduced by a third party
    SECONDARY = "secondary"  # secondary source only: check before relying on it
    DERIVED = "derived"  # our own computation from sourced facts
    PAYER = "payer"  # the payer's own policy or contract
    CLINIC = "clinic"  # set by the clinic
    ASSUMED = "assumed"  # a default with no source: the clinic should set it

    ALL = frozenset({CMS, CMS_QUOTED, SECONDARY, DERIVED, PAYER, CLINIC, ASSUMED})


@dataclass(frozen=True, slots=True)
class DatedValue:
    """One value of a parameter and the period it is in force."""

    effective: DateRange
    value: Any
    reference: str
    confidence: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Parameter:
    """All the dated values of one parameter in one layer (a payer, a payer type, or the baseline)."""

    name: str
    description: str
    unit: str | None
    layer: str
    origin: str  # the file it was read from, for "where did this value come from?"
    values: tuple[DatedValue, ...]  # sorted by start date, non-overlapping; a None value means "no value"

    def at(self, day: date) -> DatedValue | None:
        """The value in force on ``day``; None when the parameter has no value that day."""
        for dated in reversed(self.values):
            if dated.effective.start <= day:
                return dated if dated.effective.contains(day) else None
        return None

    def starts_by(self, day: date) -> bool:
        return bool(self.values) and self.values[0].effective.start <= day


def _as_date(raw: Any, where: str) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ReferenceDataError(f"{where}: {raw!r} is not a date (expected YYYY-MM-DD)") from None


def _reference_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):
        parts = []
        for item in raw:
            if isinstance(item, Mapping):
                title = str(item.get("title", "")).strip()
                href = str(item.get("href", "")).strip()
                parts.append(f"{title} ({href})" if title and href else title or href)
            else:
                parts.append(str(item))
        return "; ".join(p for p in parts if p)
    raise ReferenceDataError(f"reference must be text or a list of {{title, href}}, got {raw!r}")


def parameter_from_mapping(name: str, body: Mapping[str, Any], layer: str, origin: str) -> Parameter:
    where = f"{origin}: parameter {name}"
    if not isinstance(body, Mapping) or "values" not in body:
        raise ReferenceDataError(f"{where}: needs a 'values' mapping of dates to values")
    default_reference = _reference_text(body.get("reference"))
    default_confidence = str(body.get("confidence", Confidence.ASSUMED))
    raw_values = body["values"]
    if not isinstance(raw_values, Mapping) or not raw_values:
        raise ReferenceDataError(f"{where}: 'values' must map at least one date to a value")
    starts = sorted((_as_date(k, where), v) for k, v in raw_values.items())
    dated: list[DatedValue] = []
    for index, (start, raw) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else None
        if isinstance(raw, Mapping) and "value" in raw:
            value = raw["value"]
            reference = _reference_text(raw.get("reference")) or default_reference
            confidence = str(raw.get("confidence", default_confidence))
            note = raw.get("note")
            if "until" in raw and raw["until"] is not None:
                end = _as_date(raw["until"], where)
        else:
            value, reference, confidence, note = raw, default_reference, default_confidence, None
        if confidence not in Confidence.ALL:
            raise ReferenceDataError(f"{where}: confidence {confidence!r} is not one of {sorted(Confidence.ALL)}")
        if not reference:
            raise ReferenceDataError(f"{where}: the value from {start} has no reference (cite its source)")
        dated.append(DatedValue(DateRange(start, end), value, reference, confidence, note))
    return Parameter(
        name=name,
        description=str(body.get("description", "")).strip(),
        unit=body.get("unit"),
        layer=layer,
        origin=origin,
        values=tuple(dated),
    )


def load_parameter_file(path: Path, layer: str, label: str | None = None) -> list[Parameter]:
    origin = label or str(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ReferenceDataError(f"{origin}: not valid YAML: {exc}") from None
    if data is None:
        return []
    if not isinstance(data, Mapping):
        raise ReferenceDataError(f"{origin}: a parameter file maps parameter names to their definitions")
    return [parameter_from_mapping(str(name), body, layer, origin) for name, body in data.items()]


@dataclass(slots=True)
class ParameterLayer:
    """The parameters of one layer, by name."""

    name: str
    parameters: dict[str, Parameter] = field(default_factory=dict)

    def add(self, parameters: Iterable[Parameter]) -> None:
        for parameter in parameters:
            if parameter.name in self.parameters:
                other = self.parameters[parameter.name].origin
                raise ReferenceDataError(
                    f"parameter {parameter.name} is defined twice in layer {self.name}: {other} and {parameter.origin}"
                )
            self.parameters[parameter.name] = parameter

    def override(self, parameters: Iterable[Parameter]) -> None:
        """Replace parameters wholesale (a clinic's edits over the shipped files)."""
        for parameter in parameters:
            self.parameters[parameter.name] = parameter
