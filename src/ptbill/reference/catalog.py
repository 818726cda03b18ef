"""What was true on date D for payer P: payers, procedure codes and parameters, layered and cited.

Lookup order for a parameter is explicit: the payer's own files, then the baseline of its payer type
(``baseline/medicare``, ``baseline/commercial``...), then ``baseline/all``. The first layer whose
parameter has started by the date answers, even with "no value" (a Medicare payer has no minimum
traction time although the commercial baseline sets one).
"""

from __future__ import annotations

import bisect
import csv
import functools
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ptbill.domain.dates import DateRange
from ptbill.domain.errors import ReferenceDataError
from ptbill.domain.finding import Severity
from ptbill.domain.identity_memo import BoundedMemo
from ptbill.domain.vocabulary import PayerType

if TYPE_CHECKING:  # the parameters' modules load where parameters are read: `ptbill units` reads none
    from ptbill.reference.icd10 import CodeSetVersion, Icd10Catalog
    from ptbill.reference.mue import MueTable
    from ptbill.reference.ncci import PtpTable
    from ptbill.reference.parameters import DatedValue, Parameter, ParameterLayer

_T = TypeVar("_T")
DATA_DIR = Path(__file__).resolve().parent.parent / "reference_data"


@dataclass(frozen=True, slots=True)
class PayerInfo:
    id: str
    name: str
    type: PayerType
    notes: str = ""


class Attendance(StrEnum):
    """How the provider is with the patient during the service (CMS/CPT groupings)."""

    SUPERVISED = "supervised"  # untimed modality, provider need not stay (97010-97028)
    CONSTANT_ATTENDANCE = "constant_attendance"  # timed modality, provider present throughout (97032-97039)
    ONE_ON_ONE = "one_on_one"  # therapeutic procedures, timed per 15 minutes
    EVALUATION = "evaluation"
    GROUP = "group"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ProcedureCode:
    """One CPT/HCPCS code as the engine needs it. Labels are our own words, not the AMA descriptors."""

    code: str
    label: str
    timed: bool  # "each 15 minutes": counts toward the 8-minute rule
    attendance: Attendance
    therapy: bool  # an outpatient therapy code that takes GP/GO/GN under Medicare
    traction: bool  # needs the traction documentation
    source: str


@dataclass(frozen=True, slots=True)
class ResolvedValue:
    """A parameter's value on one date for one payer, and where it came from.

    The typed properties hand a rule the value as its declared kind; reading a parameter as another
    kind is a programming error, reported as such (values were checked when they were loaded).
    """

    name: str
    value: Any
    effective: DateRange
    reference: str
    confidence: str
    layer: str
    origin: str
    description: str
    note: str | None = None

    def _misread(self, reader: str) -> ReferenceDataError:
        from ptbill.reference.declarations import declaration_for

        kind = declaration_for(self.name)
        return ReferenceDataError(f"parameter {self.name} is {kind.kind.value if kind else '?'}, not read as {reader}")

    @property
    def integer(self) -> int:
        if type(self.value) is not int:
            raise self._misread("integer")
        return self.value

    @property
    def decimal(self) -> Decimal:
        if not isinstance(self.value, Decimal):
            raise self._misread("decimal")
        return self.value

    @property
    def flag(self) -> bool:
        if not isinstance(self.value, bool):
            raise self._misread("flag")
        return self.value

    @property
    def text(self) -> str:
        if not isinstance(self.value, str):
            raise self._misread("text")
        return self.value

    @property
    def codes(self) -> tuple[str, ...]:
        if not isinstance(self.value, tuple):
            raise self._misread("codes")
        return self.value

    @property
    def code_texts(self) -> Mapping[str, str]:
        if not isinstance(self.value, dict):
            raise self._misread("code_texts")
        return self.value


@dataclass(frozen=True, slots=True)
class RefusedValue:
    """A clinic's stored value that would be in force but no longer fits its declaration, so it is skipped."""

    name: str
    value: Any
    effective: DateRange
    problem: str


_MISSING: Any = object()


class _Resolutions:
    """What a snapshot has worked out from its layers: shared by the snapshots of every day of one period in
    which no value of those layers starts or ends (``ReferenceCatalog.snapshot``), since they resolve alike."""

    __slots__ = ("derived", "layered", "resolved", "severity_rules")

    def __init__(self) -> None:
        self.resolved: dict[str, ResolvedValue | None] = {}
        self.derived: dict[Hashable, Any] = {}
        self.severity_rules: frozenset[str] | None = None
        # ``Snapshot.with_layer(layer, share=True)``: per layer (held, so its id is not reused while kept), the
        # layer's own change days and the resolutions of each of its periods within this one.
        self.layered: dict[int, tuple[ParameterLayer, tuple[date, ...], dict[int, _Resolutions]]] = {}


def change_days(layers: tuple[ParameterLayer, ...]) -> tuple[date, ...]:
    """Every day on which a value of the layers starts or ends, in order: between two of them (and before the
    first, and after the last) every parameter resolves the same on every day."""
    days = {
        bound
        for layer in layers
        for parameter in layer.parameters.values()
        for dated in parameter.values
        for bound in (dated.effective.start, dated.effective.end)
        if bound is not None
    }
    return tuple(sorted(days))


class Snapshot:
    """The parameters in force on one date of service for one payer. Rules read only this, through the
    typed readers (``integer``, ``decimal``, ``flag``, ``choice``, ``text``, ``codes``, ``code_texts``),
    which return None when the parameter has no value that day.

    ``shared`` is what another snapshot of the same layers already resolved, for a day that resolves alike."""

    def __init__(
        self, day: date, payer: PayerInfo, layers: tuple[ParameterLayer, ...], shared: _Resolutions | None = None
    ) -> None:
        self.day = day
        self.payer = payer
        self._layers = layers
        self._shared = shared if shared is not None else _Resolutions()
        self._cache = self._shared.resolved
        self._derived = self._shared.derived

    def derived(self, key: Hashable, make: Callable[[], _T]) -> _T:
        """What a caller works out from this snapshot's values alone, worked out once (the engine's rule plan: the
        rules in force with their severities). Snapshots of days that resolve alike share it, so ``make`` must not
        read ``day`` itself, only the key may (the engine keys its plan by the rules' own period as well). The
        snapshot is immutable, so the value never goes stale."""
        try:
            return cast(_T, self._derived[key])
        except KeyError:
            value = self._derived[key] = make()
            return value

    def resolved(self, name: str) -> ResolvedValue | None:
        try:
            return self._cache[name]
        except KeyError:
            pass
        result: ResolvedValue | None = None
        for layer in self._layers:
            parameter = layer.parameters.get(name)
            if parameter is None or not parameter.starts_by(self.day):
                continue
            dated = parameter.at(self.day)
            if dated is not None and dated.problem is not None:
                continue  # a clinic's value that no longer fits its declaration: the next layer answers
            if dated is not None and dated.value is not None:
                result = _resolve(parameter, dated)
            break
        self._cache[name] = result
        return result

    def value(self, name: str, default: Any = _MISSING) -> Any:
        found = self.resolved(name)
        if found is not None:
            return found.value
        if default is _MISSING:
            raise ReferenceDataError(f"parameter {name} for payer {self.payer.id} has no value on {self.day}")
        return default

    def integer(self, name: str) -> int | None:
        found = self.resolved(name)
        return None if found is None else found.integer

    def decimal(self, name: str) -> Decimal | None:
        found = self.resolved(name)
        return None if found is None else found.decimal

    def flag(self, name: str) -> bool:
        """A yes/no parameter; no value that day reads as no."""
        found = self.resolved(name)
        return False if found is None else found.flag

    def choice(self, name: str) -> str | None:
        found = self.resolved(name)
        return None if found is None else found.text

    def text(self, name: str) -> str | None:
        found = self.resolved(name)
        return None if found is None else found.text

    def codes(self, name: str) -> tuple[str, ...] | None:
        found = self.resolved(name)
        return None if found is None else found.codes

    def code_texts(self, name: str) -> Mapping[str, str] | None:
        found = self.resolved(name)
        return None if found is None else found.code_texts

    def severity(self, rule_id: str, default: Severity) -> Severity | None:
        """A payer may raise, lower or turn off (``off``) a rule's severity with ``severity.<RULE>``."""
        shared = self._shared
        if shared.severity_rules is None:  # which rules any layer sets a severity for, worked out once
            shared.severity_rules = frozenset(
                name.removeprefix("severity.")
                for layer in self._layers
                for name in layer.parameters
                if name.startswith("severity.")
            )
        if rule_id not in shared.severity_rules:
            return default
        override = self.choice(f"severity.{rule_id}")
        if override is None:
            return default
        return None if override == "off" else Severity(override)

    def refused_values(self) -> list[RefusedValue]:
        """The clinic's stored values that would be in force on this date but were skipped as invalid."""
        found = []
        for layer in self._layers:
            for name in sorted(layer.refused):
                dated = layer.parameters[name].at(self.day)
                if dated is not None and dated.problem is not None:
                    found.append(RefusedValue(name, dated.value, dated.effective, dated.problem))
        return found

    def with_layer(self, layer: ParameterLayer, *, share: bool = False) -> Snapshot:
        """A copy that reads ``layer`` first (a clinic's own dated changes to this payer's rules).

        With ``share``, the copies of every day on which neither this snapshot's layers nor ``layer`` change a
        value share what they resolve and derive (the rule plan), as the payer's own snapshots do: for a layer
        that is never changed after it is made, such as the one ``services.clinic_config`` keeps per clinic,
        payer and configuration revision. Without it the copy resolves everything afresh."""
        if not share:
            return Snapshot(self.day, self.payer, (layer, *self._layers))
        layered = self._shared.layered
        entry = layered.get(id(layer))
        if entry is None or entry[0] is not layer:
            if len(layered) >= 256:  # layers of older configuration revisions are let go
                layered.clear()
            entry = layered[id(layer)] = (layer, change_days((layer,)), {})
        _, days, periods = entry
        index = bisect.bisect_right(days, self.day)
        shared = periods.get(index)
        if shared is None:
            shared = periods.setdefault(index, _Resolutions())
        return Snapshot(self.day, self.payer, (layer, *self._layers), shared)

    def with_overrides(self, overrides: Mapping[str, Any], label: str = "override") -> Snapshot:
        """A copy with some values replaced for this date only (rule cases, what-if questions).

        Each value passes its parameter's declaration, as a shipped one does; ReferenceDataError if not.
        """
        from ptbill.reference.declarations import InvalidValueError, declared
        from ptbill.reference.parameters import DatedValue, Parameter, ParameterLayer

        layer = ParameterLayer(label)
        for name, raw in overrides.items():
            declaration = declared(name)
            try:
                value = declaration.parse(raw)
            except InvalidValueError as exc:
                raise ReferenceDataError(f"{label}: parameter {name}: {exc}") from None
            dated = DatedValue(DateRange(self.day), value, label, "clinic")
            layer.parameters[name] = Parameter(
                name, "value set for this check only", declaration, label, label, (dated,)
            )
        return self.with_layer(layer)

    def names(self) -> list[str]:
        seen: set[str] = set()
        for layer in self._layers:
            seen.update(layer.parameters)
        return sorted(seen)


def _resolve(parameter: Parameter, dated: DatedValue) -> ResolvedValue:
    return ResolvedValue(
        name=parameter.name,
        value=dated.value,
        effective=dated.effective,
        reference=dated.reference,
        confidence=dated.confidence,
        layer=parameter.layer,
        origin=parameter.origin,
        description=parameter.description,
        note=dated.note,
    )


def _parse_bool(raw: str, where: str) -> bool:
    if raw in ("yes", "no"):
        return raw == "yes"
    raise ReferenceDataError(f"{where}: expected yes or no, got {raw!r}")


def load_procedure_codes(path: Path) -> dict[str, ProcedureCode]:
    codes: dict[str, ProcedureCode] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for line_number, row in enumerate(csv.DictReader(handle), start=2):
            where = f"{path.name} line {line_number}"
            try:
                code = ProcedureCode(
                    code=row["code"].strip().upper(),
                    label=row["label"].strip(),
                    timed=_parse_bool(row["timed"], where),
                    attendance=Attendance(row["attendance"]),
                    therapy=_parse_bool(row["therapy"], where),
                    traction=_parse_bool(row["traction"], where),
                    source=row["source"].strip(),
                )
            except (KeyError, ValueError) as exc:
                raise ReferenceDataError(f"{where}: {exc}") from None
            codes[code.code] = code
    return codes


class ReferenceCatalog:
    """Payers, procedure codes and layered parameters read from a reference-data directory.

    ``overlay_dirs`` hold a clinic's own payer files; they are read after the shipped ones and a
    parameter defined there replaces the shipped one of the same layer.
    """

    def __init__(
        self,
        data_dir: Path = DATA_DIR,
        overlay_dirs: tuple[Path, ...] = (),
        installed_dir: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.overlay_dirs = overlay_dirs
        self.installed_dir = installed_dir  # where `ptbill reference load-*` put the CMS tables
        self._icd10: Icd10Catalog | None = None
        self._ptp: PtpTable | None = None
        self._mue: MueTable | None = None
        self._mue_loaded = False
        self._layers: dict[str, ParameterLayer] = {}
        self._payers: dict[str, PayerInfo] | None = None
        self._codes: dict[str, ProcedureCode] | None = None
        self._snapshots: dict[tuple[str, date], Snapshot] = {}
        # Per payer: its layers and the days a value of them starts or ends; per (payer, period between two
        # such days): what its snapshots resolved, shared by every day of the period.
        self._payer_layers: dict[str, tuple[tuple[ParameterLayer, ...], tuple[date, ...]]] = {}
        self._resolutions: dict[tuple[str, int], _Resolutions] = {}
        # Asked about on every check of a note: each payer's fee schedule path, and the shipped ICD-10 versions
        # merged with the installed ones (for the installed catalog object it was merged with, as that is reread
        # when its manifest changes).
        self._fee_schedule_paths: BoundedMemo[str, Path] = BoundedMemo(_PATHS_KEPT)
        self._icd10_merged: tuple[Icd10Catalog, Icd10Catalog] | None = None

    # payers -------------------------------------------------------------------------------------

    def _payer_dirs(self) -> Iterator[Path]:
        for root in (self.data_dir, *self.overlay_dirs):
            payers = root / "payers"
            if payers.is_dir():
                yield from sorted(p for p in payers.iterdir() if (p / "payer.yaml").is_file())

    def payers(self) -> dict[str, PayerInfo]:
        if self._payers is None:
            found: dict[str, PayerInfo] = {}
            for directory in self._payer_dirs():
                found[directory.name] = _read_payer(directory)
            self._payers = found
        return self._payers

    def payer(self, payer_id: str) -> PayerInfo | None:
        return self.payers().get(payer_id)

    # codes --------------------------------------------------------------------------------------

    @property
    def procedure_codes(self) -> Mapping[str, ProcedureCode]:
        if self._codes is None:
            self._codes = load_procedure_codes(self.data_dir / "code_sets" / "procedure_codes.csv")
        return self._codes

    def icd10_for(self, day: date) -> tuple[CodeSetVersion, bool]:
        """The ICD-10-CM code set in force on ``day``, and False when only a nearby one is loaded."""
        if self._icd10 is None:
            from ptbill.reference.icd10 import default_catalog as icd10_catalog

            self._icd10 = icd10_catalog()
        if self.installed_dir is not None:
            from ptbill.reference.icd10_install import installed_icd10

            installed = installed_icd10(self.installed_dir)
            if installed is not None:
                merged = self._icd10_merged
                if merged is None or merged[0] is not installed:
                    merged = self._icd10_merged = (installed, self._icd10.with_versions(installed))
                return merged[1].version_for(day)
        return self._icd10.version_for(day)

    def ptp_table(self) -> PtpTable:
        """NCCI procedure-to-procedure edits: the installed CMS table, else the shipped baseline."""
        if self._ptp is None:
            from ptbill.reference.ncci import PtpTable, installed_ptp_table

            installed = installed_ptp_table(self.installed_dir) if self.installed_dir else None
            self._ptp = installed or PtpTable.baseline()
        return self._ptp

    def fee_schedule(self, payer_id: str) -> Path | None:
        """The clinic's contracted fee schedule CSV for a payer, when one is installed."""
        if self.installed_dir is None:
            return None
        path = self._fee_schedule_paths.get(payer_id)
        if path is None:
            path = self._fee_schedule_paths.keep(payer_id, self.installed_dir / "fee_schedules" / f"{payer_id}.csv")
        return path if path.is_file() else None

    def use_tables(self, ptp: PtpTable | None = None, mue: MueTable | None = None) -> None:
        """Check against these tables instead of the installed ones (a what-if, or a test's own edits)."""
        if ptp is not None:
            self._ptp = ptp
        if mue is not None:
            self._mue, self._mue_loaded = mue, True

    def mue_table(self) -> MueTable | None:
        """The installed CMS MUE table; None means the dated ``mue.<code>`` parameters apply."""
        if not self._mue_loaded:
            from ptbill.reference.mue import installed_mue_table

            self._mue = installed_mue_table(self.installed_dir) if self.installed_dir else None
            self._mue_loaded = True
        return self._mue

    # parameters ---------------------------------------------------------------------------------

    def _layer(self, key: str, directories: list[Path]) -> ParameterLayer:
        layer = self._layers.get(key)
        if layer is None:
            from ptbill.reference.parameters import ParameterLayer, load_parameter_file

            layer = ParameterLayer(key)
            for index, directory in enumerate(directories):
                if not directory.is_dir():
                    continue
                for path in sorted(directory.glob("*.yaml")):
                    if path.name == "payer.yaml":
                        continue
                    label = str(path.relative_to(directory.parent.parent)) if index == 0 else str(path)
                    parameters = load_parameter_file(path, key, label)
                    if index == 0:
                        layer.add(parameters)
                    else:
                        layer.override(parameters)
            self._layers[key] = layer
        return layer

    def layers_for(self, payer: PayerInfo) -> tuple[ParameterLayer, ...]:
        roots = (self.data_dir, *self.overlay_dirs)
        return (
            self._layer(f"payer:{payer.id}", [r / "payers" / payer.id for r in roots]),
            self._layer(f"baseline:{payer.type.value}", [r / "baseline" / payer.type.value for r in roots]),
            self._layer("baseline", [r / "baseline" / "all" for r in roots]),
        )

    def snapshot(self, payer_id: str, day: date) -> Snapshot:
        key = (payer_id, day)
        snapshot = self._snapshots.get(key)
        if snapshot is None:
            payer = self.payer(payer_id)
            if payer is None:
                raise ReferenceDataError(f"payer {payer_id!r} is not in the payer catalog")
            known = self._payer_layers.get(payer_id)
            if known is None:
                layers = self.layers_for(payer)
                known = self._payer_layers[payer_id] = (layers, change_days(layers))
            layers, days = known
            period = (payer_id, bisect.bisect_right(days, day))
            shared = self._resolutions.get(period)
            if shared is None:
                if len(self._resolutions) > 4096:  # at most payers × periods of the data, but bounded all the same
                    self._resolutions.clear()
                shared = self._resolutions[period] = _Resolutions()
            snapshot = Snapshot(day, payer, layers, shared)
            if len(self._snapshots) > 4096:  # a long batch over many dates must not grow without bound
                self._snapshots.clear()
            self._snapshots[key] = snapshot
        return snapshot

    def parameter_history(self, payer_id: str, name: str) -> list[Parameter]:
        """Every layer's definition of ``name`` for a payer, payer first: what ``explain`` shows."""
        payer = self.payer(payer_id)
        if payer is None:
            raise ReferenceDataError(f"payer {payer_id!r} is not in the payer catalog")
        return [layer.parameters[name] for layer in self.layers_for(payer) if name in layer.parameters]


def _read_payer(directory: Path) -> PayerInfo:
    from ptbill.reference.yaml_cache import load_yaml_file

    path = directory / "payer.yaml"
    data = load_yaml_file(path, str(path))
    unknown = sorted(str(key) for key in data if key not in ("name", "type", "notes")) if isinstance(data, dict) else []
    if unknown:
        raise ReferenceDataError(f"{path}: unknown key(s) {', '.join(unknown)} (a payer file has name, type, notes)")
    try:
        return PayerInfo(
            id=directory.name,
            name=str(data["name"]),
            type=PayerType(data["type"]),
            notes=str(data.get("notes", "") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ReferenceDataError(f"{path}: a payer file needs a name and a type ({exc})") from None


_PATHS_KEPT = 1024  # fee schedule paths kept per catalog: its payers' (and a bound on any other asked about)

_configured: ReferenceCatalog | None = None


def configure_default_catalog(catalog: ReferenceCatalog) -> None:
    """Set the catalog every caller of default_catalog() shares (the CLI and the server do, at start)."""
    global _configured  # noqa: PLW0603 - one process-wide catalog, chosen by the delivery layer
    _configured = catalog
    _shipped.cache_clear()


@functools.cache
def _shipped() -> ReferenceCatalog:
    return ReferenceCatalog()


def default_catalog() -> ReferenceCatalog:
    """The process's catalog: the configured one, else the shipped data with no installed CMS tables."""
    return _configured if _configured is not None else _shipped()
