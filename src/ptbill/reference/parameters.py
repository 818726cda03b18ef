"""Dated, cited parameters: every number or list a payer or CMS can change, with where it came from.

A parameter file is YAML mapping parameter names to ``{description, reference, confidence,
values: {YYYY-MM-DD: value}}`` (OpenFisca's shape). A value may be ``{value, reference, confidence,
note, until}`` to carry its own citation. ``null`` as a value means "no value from that date on".
Each name, and each value's type, must match its declaration (``declarations.py``); a file that
does not is refused whole, naming the file, the parameter and the date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ptbill.domain.dates import DateRange
from ptbill.domain.errors import ReferenceDataError
from ptbill.reference.declarations import (
    Declaration,
    InvalidValueError,
    Kind,
    UnknownParameterError,
    as_json,
    declaration_for,
    declared,
)
from ptbill.reference.yaml_cache import load_yaml_file


class Confidence:
    """How sure we are of a value: from CMS itself, quoted, secondary, derived, a payer's, the clinic's, or assumed."""

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
    value: Any  # of the parameter's declared kind (Decimal for money, a tuple for a list), or None
    reference: str
    confidence: str
    note: str | None = None
    # Why a clinic's stored value no longer fits its declaration: the snapshot then skips it and the
    # next layer answers, and PAYER_SETTING_INVALID says so. Shipped files never get here: they are refused.
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Parameter:
    """All the dated values of one parameter in one layer (a payer, a payer type, or the baseline)."""

    name: str
    description: str
    declaration: Declaration | None  # None only for a clinic's stored name that no declaration matches
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


def _reference_text(raw: Any, where: str) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):
        parts = []
        for item in raw:
            if isinstance(item, Mapping):
                _refuse_unknown_keys(item, _CITATION_KEYS, f"{where}: reference")
                title = str(item.get("title", "")).strip()
                href = str(item.get("href", "")).strip()
                parts.append(f"{title} ({href})" if title and href else title or href)
            else:
                parts.append(str(item))
        return "; ".join(p for p in parts if p)
    raise ReferenceDataError(f"{where}: reference must be text or a list of {{title, href}}, got {raw!r}")


_BODY_KEYS = ("description", "reference", "confidence", "values")
_DATED_KEYS = ("value", "reference", "confidence", "note", "until")
_CITATION_KEYS = ("title", "href")


def _refuse_unknown_keys(mapping: Mapping[Any, Any], known: tuple[str, ...], where: str) -> None:
    for key in mapping:
        if key not in known:
            from ptbill.reference.strict_yaml import shown_key

            raise ReferenceDataError(f"{where}: unknown key {shown_key(key)} (known: {', '.join(known)})")


def _is_wrapped(raw: Any, declaration: Declaration) -> bool:
    """``{value: ..., reference: ...}`` rather than the value itself (which may be a mapping too)."""
    if not isinstance(raw, Mapping):
        return False
    return declaration.kind not in (Kind.CODE_TEXTS, Kind.RECORD) or "value" in raw


def _parsed(declaration: Declaration, raw: Any, where: str) -> Any:
    try:
        return declaration.parse(raw)
    except InvalidValueError as exc:
        raise ReferenceDataError(f"{where}: {exc}") from None


def parameter_from_mapping(name: str, body: Any, layer: str, origin: str) -> Parameter:
    where = f"{origin}: parameter {name}"
    try:
        declaration = declared(name)
    except UnknownParameterError as exc:
        raise ReferenceDataError(f"{origin}: {exc}") from None
    if isinstance(body, Mapping):
        _refuse_unknown_keys(body, _BODY_KEYS, where)
    if not isinstance(body, Mapping) or "values" not in body:
        raise ReferenceDataError(f"{where}: needs a 'values' mapping of dates to values")
    default_reference = _reference_text(body.get("reference"), where)
    default_confidence = str(body.get("confidence", Confidence.ASSUMED))
    raw_values = body["values"]
    if not isinstance(raw_values, Mapping) or not raw_values:
        raise ReferenceDataError(f"{where}: 'values' must map at least one date to a value")
    starts = sorted((_as_date(k, where), v) for k, v in raw_values.items())
    dated: list[DatedValue] = []
    for index, (start, raw) in enumerate(starts):
        here = f"{where}, value from {start}"
        end = starts[index + 1][0] if index + 1 < len(starts) else None
        if _is_wrapped(raw, declaration):
            _refuse_unknown_keys(raw, _DATED_KEYS, here)
            if "value" not in raw:
                raise ReferenceDataError(f"{here}: a mapping here needs its 'value'")
            value = raw["value"]
            reference = _reference_text(raw.get("reference"), here) or default_reference
            confidence = str(raw.get("confidence", default_confidence))
            note = raw.get("note")
            if raw.get("until") is not None:
                end = _as_date(raw["until"], here)
        else:
            value, reference, confidence, note = raw, default_reference, default_confidence, None
        if confidence not in Confidence.ALL:
            raise ReferenceDataError(f"{here}: confidence {confidence!r} is not one of {sorted(Confidence.ALL)}")
        if not reference:
            raise ReferenceDataError(f"{here}: no reference (cite its source)")
        parsed = _parsed(declaration, value, here)
        dated.append(DatedValue(DateRange(start, end), parsed, reference, confidence, note))
    return Parameter(
        name=name,
        description=str(body.get("description") or declaration.description).strip(),
        declaration=declaration,
        layer=layer,
        origin=origin,
        values=tuple(dated),
    )


def load_parameter_file(path: Path, layer: str, label: str | None = None) -> list[Parameter]:
    origin = label or str(path)
    data = load_yaml_file(path, origin)
    if data is None:
        return []
    if not isinstance(data, Mapping):
        raise ReferenceDataError(f"{origin}: a parameter file maps parameter names to their definitions")
    return [parameter_from_mapping(str(name), body, layer, origin) for name, body in data.items()]


@dataclass(frozen=True, slots=True)
class ClinicChange:
    """One dated value a clinic stored for a payer parameter, as it was stored."""

    name: str
    value: Any
    effective_from: date
    reference: str
    confidence: str
    changed_on: date


def check_clinic_value(name: str, value: Any) -> Any:
    """The value a clinic may store for ``name``, as JSON; UnknownParameterError or InvalidValueError if not.

    A clinic's change always carries a value: a null would leave the payer with no value at all, which
    a check cannot tell from a value never set (to stop a check, set ``severity.<RULE>`` to off).
    """
    declaration = declared(name)
    if value is None:
        raise InvalidValueError(f"needs a value ({declaration.shown()})")
    return as_json(declaration.parse(value))


def clinic_layer_from(label: str, changes: Iterable[ClinicChange]) -> ParameterLayer:
    """A clinic's changes to one payer's parameters, as the top layer of the snapshot.

    A stored value is checked again here, against today's declarations: one that no longer fits (an
    edit saved before the check existed, or a declaration since narrowed) is kept with its problem,
    so the snapshot skips it and reports it instead of handing the rules a value they cannot read.
    """
    layer = ParameterLayer(label)
    by_name: dict[str, dict[date, ClinicChange]] = {}
    for change in changes:
        by_name.setdefault(change.name, {})[change.effective_from] = change  # a later edit of the same date wins
    for name, by_date in by_name.items():
        starts = sorted(by_date)
        values = []
        for index, start in enumerate(starts):
            change = by_date[start]
            try:
                value, problem = declared(name).parse(change.value), None
            except (UnknownParameterError, InvalidValueError) as exc:
                value, problem = change.value, str(exc)  # kept as stored, to be shown; the snapshot skips it
            values.append(
                DatedValue(
                    DateRange(start, starts[index + 1] if index + 1 < len(starts) else None),
                    value,
                    change.reference,
                    change.confidence,
                    f"changed by the clinic on {change.changed_on:%Y-%m-%d}",
                    problem,
                )
            )
        layer.parameters[name] = Parameter(
            name, "set by the clinic", declaration_for(name), label, "clinic settings", tuple(values)
        )
        if any(dated.problem for dated in values):
            layer.refused.add(name)
    return layer


@dataclass(slots=True)
class ParameterLayer:
    """The parameters of one layer, by name; ``refused`` names those holding a clinic value that is skipped."""

    name: str
    parameters: dict[str, Parameter] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)

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
