"""What each parameter may hold: its kind, unit, allowed values and range, declared once for every layer.

The loader checks every shipped value against its declaration, a clinic's change passes through the
same check, and the snapshot's typed readers hand the rules values of the declared kind. A family of
parameters keyed by a code (``mue.<code>``) has one declaration for all its members.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ptbill.domain.errors import ReferenceDataError
from ptbill.domain.vocabulary import ClaimFilingIndicator


class Kind(StrEnum):
    INTEGER = "whole number"
    DECIMAL = "decimal"
    MONEY = "money"
    BOOLEAN = "yes/no"
    TEXT = "text"
    CHOICE = "choice"
    CODES = "list of codes"
    CODE_TEXTS = "codes with a text each"
    RECORD = "record"


class InvalidValueError(ValueError):
    """A value its declaration does not allow; the message says what is allowed (the caller adds where)."""


class UnknownParameterError(ReferenceDataError):
    """No declaration matches the name: a typo would otherwise change nothing, silently."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"no parameter is declared as {name!r} (reference/declarations.py lists them; "
            f"per-code families: {', '.join(f.name for f in FAMILIES)})"
        )


@dataclass(frozen=True, slots=True)
class ItemFormat:
    """What each code of a list, or each key of a code-to-text mapping, looks like."""

    label: str
    pattern: re.Pattern[str]

    def check(self, item: Any, where: str) -> str:
        if not isinstance(item, str):
            raise InvalidValueError(f"{where}{item} must be text in quotes ({json.dumps(str(item))})")
        if not self.pattern.fullmatch(item):
            raise InvalidValueError(f"{where}{item!r} is not {self.label}")
        return item


PROCEDURE_CODE = ItemFormat("a procedure code (5 letters or digits, like 97012)", re.compile(r"[A-Z0-9]{5}"))
DIAGNOSIS_PREFIX = ItemFormat(
    "an ICD-10-CM code or its start (a letter, then letters, digits or a dot, like M54.1)",
    re.compile(r"[A-Z][0-9A-Z.]{0,7}"),
)
ANY_TEXT = ItemFormat("text", re.compile(r".*\S.*", re.DOTALL))
CODE_SERIES = ItemFormat("the first letter(s) of a HCPCS code (like S)", re.compile(r"[A-Z][A-Z0-9]{0,3}"))
MODIFIER = ItemFormat("a modifier (2 letters or digits, like GP)", re.compile(r"[A-Z0-9]{2}"))
FILING_LIMIT = re.compile(r"[1-9][0-9]{0,3} (days|months)")
PLACE_OF_SERVICE = ItemFormat("a place-of-service code (2 digits, like 22)", re.compile(r"[0-9]{2}"))


@dataclass(frozen=True, slots=True)
class Declaration:
    name: str  # ``mue.<code>`` for a family
    kind: Kind
    description: str
    unit: str | None = None
    choices: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    required: bool = False  # the rules read it with no fallback: null ("no value from then on") is refused
    items: ItemFormat | None = None  # codes of a list, keys of a code-to-text mapping, the whole of a text
    max_length: int | None = None
    fields: Mapping[str, Declaration] = field(default_factory=dict)  # a record's fields
    key: re.Pattern[str] | None = None  # a family's key after its prefix (the code in mue.<code>)

    def parse(self, raw: Any) -> Any:
        """The value as the rules read it (Decimal for money, a tuple for a list); InvalidValueError if refused."""
        if raw is None:
            if self.required:
                raise InvalidValueError("needs a value: the rules read it with no fallback")
            return None
        return _PARSERS[self.kind](self, raw)

    def shown(self) -> str:
        """Kind, unit and allowed values in words, for `ptbill explain` and the payer page."""
        parts = [self.kind.value]
        if self.unit:
            parts.append(self.unit)
        if self.choices:
            parts.append("one of " + ", ".join(self.choices))
        if self.minimum is not None or self.maximum is not None:
            parts.append(f"{self.minimum if self.minimum is not None else '…'} to {self.maximum or '…'}")
        if self.items is not None and self.kind is not Kind.TEXT:
            parts.append(f"each {self.items.label}")
        if self.required:
            parts.append("always set")
        return ", ".join(parts)

    def from_text(self, text: str) -> Any:
        """What a person typed in a form, as the JSON value of this kind (parse() then checks it)."""
        stripped = text.strip()
        if self.kind in (Kind.TEXT, Kind.CHOICE):
            return stripped
        lowered = stripped.lower()
        if self.kind is Kind.BOOLEAN and lowered in ("yes", "no"):
            return lowered == "yes"
        if lowered in ("", "null", "none"):
            return None
        try:
            return json.loads(stripped)
        except ValueError:
            if self.kind is Kind.CODES:  # 97110, 97140 or 97110 97140: the codes as typed
                return [part.upper() for part in re.split(r"[\s,;]+", stripped) if part]
            return stripped


def _check_range(declaration: Declaration, number: Decimal) -> None:
    if declaration.minimum is not None and number < declaration.minimum:
        raise InvalidValueError(f"must be at least {declaration.minimum}, got {number}")
    if declaration.maximum is not None and number > declaration.maximum:
        raise InvalidValueError(f"must be at most {declaration.maximum}, got {number}")


def _integer(declaration: Declaration, raw: Any) -> int:
    if type(raw) is not int:
        raise InvalidValueError(f"must be a whole number, got {_shown(raw)}")
    _check_range(declaration, Decimal(raw))
    return raw


def _decimal(declaration: Declaration, raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise InvalidValueError(f"must be a number, got {_shown(raw)}")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise InvalidValueError(f"must be a finite number, got {raw}")
    number = Decimal(str(raw)) if isinstance(raw, float) else Decimal(raw)
    if declaration.kind is Kind.MONEY and number != number.quantize(Decimal("0.01")):
        raise InvalidValueError(f"is money: at most 2 decimal places, got {number}")
    _check_range(declaration, number)
    return number


def _boolean(_declaration: Declaration, raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise InvalidValueError(f"must be true or false, got {_shown(raw)}")
    return raw


def _text(declaration: Declaration, raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidValueError(f"must be text, got {_shown(raw)}")
    text = raw.strip()
    if declaration.max_length is not None and len(text) > declaration.max_length:
        raise InvalidValueError(f"must be at most {declaration.max_length} characters, got {len(text)}")
    if declaration.items is not None:
        declaration.items.check(text, "")
    return text


def _choice(declaration: Declaration, raw: Any) -> str:
    if raw not in declaration.choices or not isinstance(raw, str):
        raise InvalidValueError(f"must be one of {', '.join(declaration.choices)}, got {_shown(raw)}")
    return raw


def _codes(declaration: Declaration, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list | tuple):
        raise InvalidValueError(f'must be a list of codes, like ["97012"], got {_shown(raw)}')
    items = declaration.items or ANY_TEXT
    return tuple(items.check(item, f"item {index + 1}: ") for index, item in enumerate(raw))


def _code_texts(declaration: Declaration, raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise InvalidValueError(f"must map each code to a text, got {_shown(raw)}")
    items = declaration.items or ANY_TEXT
    parsed: dict[str, str] = {}
    for key, text in raw.items():
        code = items.check(key, "")
        parsed[code] = ANY_TEXT.check(text, f"the text for {code}: ")
    return parsed


def _record(declaration: Declaration, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidValueError(f"must be a mapping of {', '.join(declaration.fields)}, got {_shown(raw)}")
    unknown = [str(key) for key in raw if key not in declaration.fields]
    if unknown:
        raise InvalidValueError(
            f"unknown field(s) {', '.join(sorted(unknown))}; a record has {', '.join(declaration.fields)}"
        )
    for key, value in raw.items():
        try:
            declaration.fields[key].parse(value)
        except InvalidValueError as exc:
            raise InvalidValueError(f"field {key}: {exc}") from None
    return dict(raw)  # checked, kept as written: its reader (remittance/denials.py) gives it meaning


def _shown(raw: Any) -> str:
    return repr(raw) if isinstance(raw, str) else json.dumps(raw, default=str)


_PARSERS = {
    Kind.INTEGER: _integer,
    Kind.DECIMAL: _decimal,
    Kind.MONEY: _decimal,
    Kind.BOOLEAN: _boolean,
    Kind.TEXT: _text,
    Kind.CHOICE: _choice,
    Kind.CODES: _codes,
    Kind.CODE_TEXTS: _code_texts,
    Kind.RECORD: _record,
}


def as_json(value: Any) -> Any:
    """A parsed value as JSON shows it: Decimal as a number, a tuple as a list."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _days(name: str, description: str, maximum: int, unit: str = "days") -> Declaration:
    return Declaration(name, Kind.INTEGER, description, unit, minimum=Decimal(1), maximum=Decimal(maximum))


_MONEY_CEILING = Decimal(100_000)
_DENIAL_FIELDS = {
    entry.name: entry
    for entry in (
        Declaration("carc", Kind.TEXT, "the adjustment reason code the entry matches"),
        Declaration("groups", Kind.CODES, "adjustment groups it is narrowed to (CO, PR, OA, PI)"),
        Declaration("rarcs", Kind.CODES, "remark codes, any one of which matches"),
        Declaration("reason", Kind.TEXT, "why the payer did not pay, in a biller's words"),
        Declaration("next_action", Kind.TEXT, "what to do next"),
        Declaration("rules", Kind.CODES, "ptbill checks that should have caught it"),
        Declaration("denial", Kind.BOOLEAN, "a denial, rather than an expected reduction"),
        Declaration("appealable", Kind.BOOLEAN, "false: correct and resubmit instead"),
        Declaration("remark_explains", Kind.BOOLEAN, "the remark code gives the reason"),
    )
}

DECLARATIONS: dict[str, Declaration] = {
    declaration.name: declaration
    for declaration in (
        Declaration(
            "units.method",
            Kind.CHOICE,
            "How timed minutes become units: cms (pooled 8-minute rule) or per_code.",
            choices=("cms", "per_code"),
            required=True,
        ),
        Declaration(
            "traction.minimum_minutes",
            Kind.INTEGER,
            "Shortest 97012 session the payer expects.",
            "minutes",
            minimum=Decimal(0),
            maximum=Decimal(1440),
        ),
        Declaration("modifiers.gp_required", Kind.BOOLEAN, "Therapy codes must carry GP.", required=True),
        Declaration("modifiers.cq_required", Kind.BOOLEAN, "PTA services must carry CQ.", required=True),
        Declaration("modifiers.co_required", Kind.BOOLEAN, "OTA services must carry CO."),
        Declaration(
            "modifiers.also_accepted",
            Kind.CODES,
            "Modifiers the payer accepts beyond the shipped modifier list.",
            items=MODIFIER,
        ),
        Declaration(
            "providers.assistants_enrolled",
            Kind.BOOLEAN,
            "The payer enrolls PTAs and OTAs; if not, their visits are billed under the supervising therapist.",
        ),
        Declaration(
            "place_of_service.not_for_private_practice",
            Kind.CODE_TEXTS,
            "Places of service where the payer does not pay a therapist in private practice, and why.",
            items=PLACE_OF_SERVICE,
        ),
        Declaration(
            "modifiers.x_accepted", Kind.BOOLEAN, "The payer accepts XE, XS, XP, XU in place of 59.", required=True
        ),
        Declaration(
            "therapy.kx_threshold",
            Kind.MONEY,
            "Yearly therapy amount above which lines need KX.",
            "USD",
            minimum=Decimal(0),
            maximum=_MONEY_CEILING,
        ),
        Declaration("authorization.required", Kind.BOOLEAN, "Prior authorization is required."),
        Declaration(
            "authorization.low_visits_warning",
            Kind.INTEGER,
            "Warn when this many authorized visits or fewer remain.",
            "visits",
            minimum=Decimal(0),
            maximum=Decimal(100),
            required=True,
        ),
        Declaration("plan_of_care.required", Kind.BOOLEAN, "A plan of care must be on file."),
        _days("plan_of_care.certification_days", "Days from the plan's start to certify it.", 366),
        _days(
            "eligibility.verify_within_days",
            "Days before the date of service an eligibility answer stays current.",
            366,
        ),
        _days("plan_of_care.max_days", "Longest a plan runs before recertification.", 3660),
        _days("plan_of_care.progress_report_every", "Treatment days between progress reports.", 366, "treatment days"),
        _days(
            "plan_of_care.order_exception_days",
            "Days from the initial evaluation to send the plan to the practitioner whose signed order certifies it.",
            366,
        ),
        _days("plan_of_care.recertification_notice_days", "Days before a certification ends to warn.", 90),
        Declaration(
            "plan_of_care.changes_need_certification",
            Kind.BOOLEAN,
            "A significant change of a certified plan needs the physician's or NPP's signature.",
        ),
        Declaration(
            "notes.assistant_cosign_required",
            Kind.BOOLEAN,
            "A PTA's or OTA's note waits for the supervising therapist's co-signature before it is billed.",
        ),
        _days("appeals.redetermination_days", "Days to file a redetermination from receipt of the notice.", 3660),
        _days(
            "appeals.reconsideration_days",
            "Days to file a QIC reconsideration from receipt of the redetermination decision.",
            3660,
        ),
        _days(
            "appeals.payer_appeal_days",
            "Days to file an appeal with a payer other than Medicare, from the remittance (or the last decision).",
            3660,
        ),
        Declaration(
            "appeals.receipt_presumed_days",
            Kind.INTEGER,
            "Days after its date a notice is presumed received.",
            "days",
            minimum=Decimal(0),
            maximum=Decimal(366),
        ),
        Declaration(
            "charges.default_multiple",
            Kind.DECIMAL,
            "Charge as a multiple of the expected payment.",
            "ratio",
            minimum=Decimal(1),
            maximum=Decimal(100),
            required=True,
        ),
        Declaration(
            "charges.fallback_amount",
            Kind.MONEY,
            "Charge per unit with neither a charge-master entry nor an expected payment.",
            "USD",
            minimum=Decimal("0.01"),
            maximum=_MONEY_CEILING,
            required=True,
        ),
        Declaration(
            "claims.payer_identifier",
            Kind.TEXT,
            "The clearinghouse's payer id (837P NM109).",
            items=ItemFormat("letters, digits, spaces, dots or hyphens", re.compile(r"[A-Za-z0-9][A-Za-z0-9 .-]*")),
            max_length=80,
        ),
        Declaration(
            "claims.filing_indicator",
            Kind.CHOICE,
            "The program the claim is filed under (837P claim filing indicator, CMS-1500 item 1).",
            choices=tuple(ClaimFilingIndicator),
            required=True,
        ),
        Declaration(
            "claims.filing_limit",
            Kind.TEXT,
            "How long after the date of service the payer accepts a claim: a number of days or months.",
            items=ItemFormat('a number of days or months (like "12 months" or "90 days")', FILING_LIMIT),
            max_length=12,
        ),
        _days("claims.filing_warning_days", "Days before the filing limit a claim not yet sent is flagged.", 366),
        _days(
            "claims.status_inquiry_after_days",
            "Days after a claim is sent with no 835 and no claim status (277) before ptbill asks the payer (a 276).",
            365,
        ),
        Declaration(
            "claims.accepts_replacement_claims",
            Kind.BOOLEAN,
            "The payer takes replacement (frequency 7) and void (frequency 8) claims; no: it wants a reopening.",
        ),
        Declaration(
            "codes.not_payable",
            Kind.CODE_TEXTS,
            "Codes the payer does not pay separately, and why.",
            items=PROCEDURE_CODE,
        ),
        Declaration(
            "coverage.not_covered_codes",
            Kind.CODE_TEXTS,
            "Codes the payer does not cover, and why.",
            items=PROCEDURE_CODE,
        ),
        Declaration("coverage.covered_codes", Kind.CODES, "The only codes the payer covers.", items=PROCEDURE_CODE),
        Declaration(
            "abn.expected_denial_codes",
            Kind.CODE_TEXTS,
            "Codes Medicare is expected to deny as not reasonable and necessary, and why: an ABN before treatment "
            "and GA, else GZ.",
            items=PROCEDURE_CODE,
        ),
        Declaration(
            "abn.statutorily_excluded_codes",
            Kind.CODE_TEXTS,
            "Codes that are not a Medicare benefit (statutorily excluded), and why: billed with GY, the patient pays.",
            items=PROCEDURE_CODE,
        ),
        Declaration("abn.form_version", Kind.TEXT, "The ABN form version in force (form CMS-R-131 and its expiry)."),
        Declaration(
            "codes.not_payable_series",
            Kind.CODE_TEXTS,
            "Series of codes (by their first letters) the payer never accepts, and why.",
            items=CODE_SERIES,
        ),
        Declaration(
            "pfs.conversion_factor",
            Kind.DECIMAL,
            "Medicare PFS conversion factor in force (for practitioners who are not qualifying APM participants).",
            "USD per RVU",
            minimum=Decimal(1),
            maximum=Decimal(1000),
        ),
        Declaration(
            "pfs.conversion_factor_qualifying_apm",
            Kind.DECIMAL,
            "Medicare PFS conversion factor for qualifying APM participants, in years that have a separate one.",
            "USD per RVU",
            minimum=Decimal(1),
            maximum=Decimal(1000),
        ),
        Declaration(
            "pfs.qualifying_apm_participant",
            Kind.BOOLEAN,
            "The clinic's therapists are qualifying APM participants (QPs), so the QP conversion factor applies.",
        ),
        Declaration(
            "pfs.assistant_rate",
            Kind.DECIMAL,
            "Share of the fee-schedule amount paid for a line with CQ or CO (furnished in part by an assistant).",
            "share of the amount",
            minimum=Decimal("0.01"),
            maximum=Decimal(1),
        ),
    )
}

# Families: one declaration for every parameter named by the prefix and a key of the given form.
FAMILIES: tuple[Declaration, ...] = (
    Declaration(
        "mue.<code>",
        Kind.INTEGER,
        "Most units of the code per patient per day.",
        "units",
        minimum=Decimal(0),
        maximum=Decimal(9999),
        key=PROCEDURE_CODE.pattern,
    ),
    Declaration(
        "fees.seed_average.<code>",
        Kind.MONEY,
        "Average payment for one unit of the code (the seed guide's table).",
        "USD",
        minimum=Decimal(0),
        maximum=_MONEY_CEILING,
        key=PROCEDURE_CODE.pattern,
    ),
    Declaration(
        "coverage.covered_diagnoses.<code>",
        Kind.CODES,
        "The diagnoses the payer covers the code for.",
        items=DIAGNOSIS_PREFIX,
        key=PROCEDURE_CODE.pattern,
    ),
    Declaration(
        "traction.region_diagnoses.<region>",
        Kind.CODES,
        "The diagnoses (ICD-10-CM codes or their starts) that name the body region traction treats.",
        items=DIAGNOSIS_PREFIX,
        key=re.compile(r"[a-z_]+"),
    ),
    Declaration(
        "severity.<rule>",
        Kind.CHOICE,
        "The payer's severity for a check, or off.",
        choices=("error", "warning", "info", "off"),
        key=re.compile(r"[A-Z][A-Z0-9_]*"),
    ),
    Declaration(
        "denials.<entry>",
        Kind.RECORD,
        "What an adjustment or remark code means and what to do next.",
        fields=_DENIAL_FIELDS,
        key=re.compile(r"[a-z0-9]+(\.[A-Za-z0-9]+)*"),
    ),
)
_FAMILY_PREFIXES = tuple((family.name.split("<", 1)[0], family) for family in FAMILIES)


def declaration_for(name: str) -> Declaration | None:
    """The declaration of ``name``: its own, or its family's when the key after the prefix is well formed."""
    found = DECLARATIONS.get(name)
    if found is not None:
        return found
    for prefix, family in _FAMILY_PREFIXES:
        if name.startswith(prefix) and family.key is not None and family.key.fullmatch(name[len(prefix) :]):
            return family
    return None


def declared(name: str) -> Declaration:
    """The declaration of ``name``, or UnknownParameterError."""
    found = declaration_for(name)
    if found is None:
        raise UnknownParameterError(name)
    return found
