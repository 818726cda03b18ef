"""A streaming reader for X12 835 remittances (005010X221A1): one ``Remittance`` per ST..SE.

Each segment id has a handler (``@handles("CLP")``) that reads its elements into an explicit parse
context; the X12 element ids appear only here, each beside its name in the guide. What breaks the
money (an amount that is not a number, a claim with no status) raises ``RemittanceFormatError``;
what only breaks conformance (a missing contact, a bad date) becomes a warning on the remittance.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import NoReturn, TypeVar

from ptbill.domain.errors import RemittanceFormatError
from ptbill.domain.remittance import (
    ZERO,
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    ClaimStatus,
    CreditDebit,
    PatientName,
    PaymentHandling,
    PaymentMethod,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from ptbill.remittance.x12_835 import GUIDE
from ptbill.remittance.x12_835.segments import (
    AMT01,
    AMT02,
    BPR01,
    BPR02,
    BPR03,
    BPR04,
    BPR16,
    CAS01,
    CLP01,
    CLP02,
    CLP03,
    CLP04,
    CLP05,
    CLP06,
    CLP07,
    CLP08,
    CLP09,
    DTM01,
    DTM02,
    GE01,
    GE02,
    GS01,
    GS06,
    GS08,
    IEA01,
    IEA02,
    ISA13,
    LQ01,
    LQ02,
    MIA_REMARKS,
    MOA_REMARKS,
    N101,
    N102,
    N103,
    N104,
    NM101,
    NM103,
    NM104,
    NM105,
    NM108,
    NM109,
    PER01,
    PLB01,
    PLB02,
    REF01,
    REF02,
    SE01,
    SE02,
    ST01,
    ST02,
    ST03,
    SVC01,
    SVC02,
    SVC03,
    SVC04,
    SVC05,
    SVC06,
    SVC07,
    TRN02,
    TRN03,
    ElementRef,
    element_ref,
)
from ptbill.x12.errors import X12SyntaxError, clip
from ptbill.x12.reader import LenientReader, Source

__all__ = ["Source", "balance_problems", "read_835"]

# X12 numeric "R" values: an optional minus, ASCII digits, an optional decimal point; no exponents, no plus,
# and at most 18 characters (the R type's maximum), so no amount outgrows the money columns.
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_MAX_NUMBER_LENGTH = 18
_DATE = re.compile(r"[0-9]{8}")
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_CODE = re.compile(r"[A-Z0-9]{1,5}")  # adjustment reason and remark codes are 1-5 letters or digits
# A composite written with another separator than ISA16 declares, e.g. "HC>97012>GP" under ':'.
_MISSEPARATED = re.compile(r"([A-Z0-9]{2})([^A-Za-z0-9 ])(.+)")


_ENVELOPE = frozenset({"ISA", "IEA", "GS", "GE", "ST", "TA1"})
# Segments of the 835 that carry nothing the domain model keeps: read past them without comment.
_KNOWN_UNUSED = ("CUR", "N3", "N4", "RDM", "TS3", "TS2", "QTY")

CodeEnum = TypeVar("CodeEnum", bound=StrEnum)


# Drafts: the mutable shapes a remittance takes while its segments arrive -----------------------


@dataclass(slots=True)
class _LineDraft:
    code_qualifier: str
    procedure_code: str
    modifiers: tuple[str, ...]
    description: str | None
    charge: Decimal
    paid: Decimal
    revenue_code: str | None
    units_paid: Decimal
    original_code_qualifier: str | None = None
    original_procedure_code: str | None = None
    original_modifiers: tuple[str, ...] = ()
    original_units: Decimal | None = None
    service_start: date | None = None
    service_end: date | None = None
    line_control_number: str | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remark_codes: list[str] = field(default_factory=list)
    allowed_amount: Decimal | None = None

    def freeze(self) -> ServicePayment:
        return ServicePayment(
            code_qualifier=self.code_qualifier,
            procedure_code=self.procedure_code,
            modifiers=self.modifiers,
            description=self.description,
            charge=self.charge,
            paid=self.paid,
            units_paid=self.units_paid,
            revenue_code=self.revenue_code,
            original_code_qualifier=self.original_code_qualifier,
            original_procedure_code=self.original_procedure_code,
            original_modifiers=self.original_modifiers,
            original_units=self.original_units,
            service_start=self.service_start,
            service_end=self.service_end,
            line_control_number=self.line_control_number,
            adjustments=tuple(self.adjustments),
            remark_codes=tuple(self.remark_codes),
            allowed_amount=self.allowed_amount,
        )


@dataclass(slots=True)
class _ClaimDraft:
    patient_control_number: str
    status: ClaimStatus
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    filing_indicator: str | None
    payer_claim_control_number: str | None
    facility_code: str | None
    frequency: str | None
    adjustments: list[Adjustment] = field(default_factory=list)
    remark_codes: list[str] = field(default_factory=list)
    patient: PatientName | None = None
    rendering_provider_npi: str | None = None
    service_start: date | None = None
    service_end: date | None = None
    received_date: date | None = None
    lines: list[ServicePayment] = field(default_factory=list)
    crossover_carrier: str | None = None

    def freeze(self) -> ClaimPayment:
        return ClaimPayment(
            patient_control_number=self.patient_control_number,
            status=self.status,
            charge=self.charge,
            paid=self.paid,
            patient_responsibility=self.patient_responsibility,
            filing_indicator=self.filing_indicator,
            payer_claim_control_number=self.payer_claim_control_number,
            facility_code=self.facility_code,
            frequency=self.frequency,
            adjustments=tuple(self.adjustments),
            remark_codes=tuple(self.remark_codes),
            patient=self.patient,
            rendering_provider_npi=self.rendering_provider_npi,
            service_start=self.service_start,
            service_end=self.service_end,
            received_date=self.received_date,
            service_lines=tuple(self.lines),
            crossover_carrier=self.crossover_carrier,
        )


@dataclass(slots=True)
class _RemittanceDraft:
    control_number: str
    first_segment: int  # the ST's number in the data, to check the SE count
    interchange_control_number: str | None
    warnings: list[str]
    payment_amount: Decimal | None = None
    handling: PaymentHandling | None = None
    credit_debit: CreditDebit | None = None
    payment_method: PaymentMethod | None = None
    payment_date: date | None = None
    trace_number: str | None = None
    originating_company_id: str | None = None
    production_date: date | None = None
    payer_name: str | None = None
    payer_id: str | None = None
    payer_has_billing_contact: bool = False
    payee_name: str | None = None
    payee_npi: str | None = None
    payee_tax_id: str | None = None
    seen: set[str] = field(default_factory=set)  # segment ids met, for "required segment missing"
    claims: list[ClaimPayment] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)


# The parse context ---------------------------------------------------------------------------


class _Context:
    """Where the reader is: the segment being read, the loop it is in and the drafts being filled."""

    def __init__(self, stream: LenientReader, collected: list[str] | None) -> None:
        self.stream = stream
        self.component = ":"
        self.collected = collected  # the caller's list of every warning, when given
        self.number = 0  # the current segment's position in the data, ISA = 1
        self.segment_id = ""
        self.fields: list[str] = []
        self.loop = "outside"  # outside, header, 1000A, 1000B, 2000, 2100, 2110, summary
        # Problems found outside a transaction that concern the transactions after them: those of the
        # ISA hold for its whole interchange, those of a GS for its group, the rest for the next ST.
        self.interchange_warnings: list[str] = []
        self.group_warnings: list[str] = []
        self.pending_warnings: list[str] = []
        self.interchange_control_number: str | None = None
        self.group_control_number: str | None = None
        self.groups_in_interchange = 0
        self.transactions_in_group = 0
        self.remittance: _RemittanceDraft | None = None
        self.claim: _ClaimDraft | None = None
        self.line: _LineDraft | None = None
        self.finished: list[Remittance] = []
        self.misseparated_at = 0

    # messages

    def fail(self, problem: str) -> NoReturn:
        raise RemittanceFormatError(problem, self.number, self.segment_id)

    def warn(self, problem: str, number: int | None = None, segment_id: str | None = None) -> None:
        message = f"segment {number or self.number} ({segment_id or self.segment_id}): {problem}"
        if self.collected is not None:
            self.collected.append(message)
        where = segment_id or self.segment_id
        if self.remittance is not None:
            self.remittance.warnings.append(message)
        elif where == "ISA":
            self.interchange_warnings.append(message)
        elif where == "GS":
            self.group_warnings.append(message)
        elif where not in ("GE", "IEA"):
            self.pending_warnings.append(message)

    # elements

    def text(self, element: ElementRef) -> str:
        position = element.position
        return self.fields[position].strip() if position < len(self.fields) else ""

    def required_text(self, element: ElementRef) -> str:
        value = self.text(element)
        if not value:
            self.fail(f"{element} is missing")
        return value

    def optional_text(self, element: ElementRef) -> str | None:
        return self.text(element) or None

    def number_at(self, position: int, label: str) -> Decimal | None:
        raw = self.fields[position].strip() if position < len(self.fields) else ""
        if not raw:
            return None
        if len(raw) > _MAX_NUMBER_LENGTH:
            self.fail(f"{label} {clip(raw)!r} is longer than {_MAX_NUMBER_LENGTH} characters")
        if not _NUMBER.fullmatch(raw):
            self.fail(f"{label} {raw!r} is not a number")
        return Decimal(raw)

    def amount(self, element: ElementRef) -> Decimal:
        raw = self.text(element)
        if not raw:
            self.fail(f"{element} is missing")
        if len(raw) > _MAX_NUMBER_LENGTH:
            self.fail(f"{element.ref} {clip(raw)!r} is longer than {_MAX_NUMBER_LENGTH} characters")
        if not _NUMBER.fullmatch(raw):
            self.fail(f"{element.ref} {raw!r} is not an amount")
        return Decimal(raw)

    def optional_amount(self, element: ElementRef) -> Decimal | None:
        return self.amount(element) if self.text(element) else None

    def day(self, element: ElementRef) -> date | None:
        """A CCYYMMDD date; a bad one is a warning, not a failure: no money depends on it."""
        raw = self.text(element)
        if not raw:
            return None
        if _DATE.fullmatch(raw):
            try:
                return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
            except ValueError:
                pass
        self.warn(f"{element} {clip(raw)!r} is not a date (CCYYMMDD); left empty")
        return None

    def code(self, element: ElementRef, kind: type[CodeEnum], required: bool) -> CodeEnum | None:
        raw = self.text(element)
        if not raw:
            if required:
                self.fail(f"{element} is missing")
            return None
        try:
            return kind(raw)
        except ValueError:
            if required:
                self.fail(f"{element} {raw!r} is not a valid code")
            self.warn(f"{element} {raw!r} is not a valid code; left empty")
            return None

    def composite(self, element: ElementRef) -> list[str]:
        raw = self.text(element)
        if not raw:
            return []
        if self.component in raw:
            return [part.strip() for part in raw.split(self.component)]
        misseparated = _MISSEPARATED.fullmatch(raw)
        if misseparated:
            separator = misseparated.group(2)
            if self.misseparated_at != self.number:  # once per segment is enough to point at the problem
                self.misseparated_at = self.number
                self.warn(f"{element} {raw!r} separates its parts with {separator!r}, not {self.component!r} (ISA16)")
            return [part.strip() for part in raw.split(separator)]
        return [raw]


_Handler = Callable[[_Context], None]
_HANDLERS: dict[str, _Handler] = {}


def handles(*segment_ids: str) -> Callable[[_Handler], _Handler]:
    """Register the function that reads these segments."""

    def register(handler: _Handler) -> _Handler:
        for segment_id in segment_ids:
            if segment_id in _HANDLERS:
                raise ValueError(f"segment {segment_id} already has a handler")
            _HANDLERS[segment_id] = handler
        return handler

    return register


# Closing loops -------------------------------------------------------------------------------


def _close_line(ctx: _Context) -> None:
    if ctx.line is not None and ctx.claim is not None:
        ctx.claim.lines.append(ctx.line.freeze())
    ctx.line = None


def _close_claim(ctx: _Context) -> None:
    _close_line(ctx)
    if ctx.claim is not None and ctx.remittance is not None:
        ctx.remittance.claims.append(ctx.claim.freeze())
    ctx.claim = None


def _leave_payer_loop(ctx: _Context) -> None:
    """The guide requires the payer's technical contact (PER*BL) in loop 1000A."""
    remittance = ctx.remittance
    if ctx.loop == "1000A" and remittance is not None and not remittance.payer_has_billing_contact:
        ctx.warn("the payer loop (1000A) has no PER*BL (payer technical contact), which the guide requires")
        remittance.payer_has_billing_contact = True  # say it once


def _in_transaction(ctx: _Context) -> _RemittanceDraft:
    if ctx.remittance is None:
        ctx.fail(f"{ctx.segment_id} is outside a transaction set (no ST before it)")
    return ctx.remittance


# Envelope --------------------------------------------------------------------------------------


@handles("ISA")
def _interchange(ctx: _Context) -> None:
    if ctx.remittance is not None:
        ctx.fail(f"an ISA inside transaction {ctx.remittance.control_number} (no SE before it)")
    ctx.interchange_warnings, ctx.group_warnings = [], []
    if len(ctx.fields) != 17:
        ctx.warn(f"the ISA has {len(ctx.fields) - 1} elements, not 16")
    ctx.interchange_control_number = ctx.text(ISA13) or None
    ctx.groups_in_interchange = 0


@handles("IEA")
def _interchange_end(ctx: _Context) -> None:
    if ctx.remittance is not None:
        ctx.fail(f"an IEA inside transaction {ctx.remittance.control_number} (no SE before it)")
    count = ctx.text(IEA01)
    if count != str(ctx.groups_in_interchange):
        ctx.warn(f"{IEA01} is {count!r} but the interchange has {ctx.groups_in_interchange} group(s)")
    if ctx.interchange_control_number and ctx.text(IEA02) != ctx.interchange_control_number:
        ctx.warn(f"{IEA02} {ctx.text(IEA02)!r} does not match ISA13 {ctx.interchange_control_number!r}")


@handles("GS")
def _group(ctx: _Context) -> None:
    if ctx.remittance is not None:
        ctx.fail(f"a GS inside transaction {ctx.remittance.control_number} (no SE before it)")
    ctx.group_warnings = []
    ctx.groups_in_interchange += 1
    ctx.transactions_in_group = 0
    ctx.group_control_number = ctx.text(GS06) or None
    if ctx.text(GS01) != "HP":
        ctx.warn(f"{GS01} is {ctx.text(GS01)!r}, not 'HP' (health care claim payment/advice)")
    if ctx.text(GS08) != GUIDE:
        ctx.warn(f"{GS08} is {ctx.text(GS08)!r}; read as {GUIDE}")


@handles("GE")
def _group_end(ctx: _Context) -> None:
    if ctx.remittance is not None:
        ctx.fail(f"a GE inside transaction {ctx.remittance.control_number} (no SE before it)")
    if ctx.text(GE01) != str(ctx.transactions_in_group):
        ctx.warn(f"{GE01} is {ctx.text(GE01)!r} but the group has {ctx.transactions_in_group} transaction set(s)")
    if ctx.group_control_number and ctx.text(GE02) != ctx.group_control_number:
        ctx.warn(f"{GE02} {ctx.text(GE02)!r} does not match GS06 {ctx.group_control_number!r}")


@handles("TA1")
def _interchange_acknowledgment(ctx: _Context) -> None:
    """An interchange acknowledgment carries nothing about payments."""


@handles("ST")
def _transaction(ctx: _Context) -> None:
    if ctx.remittance is not None:
        ctx.fail(f"an ST before the SE of transaction {ctx.remittance.control_number}")
    kind = ctx.text(ST01)
    if kind != "835":
        ctx.fail(f"{ST01} is {kind!r}: this reader reads 835 remittances only")
    control = ctx.text(ST02)
    ctx.transactions_in_group += 1
    ctx.remittance = _RemittanceDraft(
        control_number=control,
        first_segment=ctx.number,
        interchange_control_number=ctx.interchange_control_number,
        warnings=[*ctx.interchange_warnings, *ctx.group_warnings, *ctx.pending_warnings],
    )
    ctx.pending_warnings = []
    ctx.loop = "header"
    if not control:
        ctx.warn(f"{ST02} is missing")
    version = ctx.text(ST03)
    if version and version != GUIDE:
        ctx.warn(f"{ST03} is {version!r}; read as {GUIDE}")


@handles("SE")
def _transaction_end(ctx: _Context) -> None:
    remittance = _in_transaction(ctx)
    _leave_payer_loop(ctx)
    _close_claim(ctx)
    counted = ctx.number - remittance.first_segment + 1
    if ctx.text(SE01) != str(counted):
        ctx.warn(f"{SE01} is {ctx.text(SE01)!r} but the transaction has {counted} segments")
    if ctx.text(SE02) != remittance.control_number:
        ctx.warn(f"{SE02} {ctx.text(SE02)!r} does not match ST02 {remittance.control_number!r}")
    if remittance.payment_amount is None:
        ctx.fail(f"transaction {remittance.control_number} has no BPR: its payment amount is unknown")
    for segment_id, what in (("TRN", "reassociation trace number"), ("N1*PR", "payer"), ("N1*PE", "payee")):
        if segment_id not in remittance.seen:
            ctx.warn(f"transaction {remittance.control_number} has no {segment_id} ({what}), which the guide requires")
    ctx.finished.append(
        Remittance(
            payer_name=remittance.payer_name,
            payer_id=remittance.payer_id,
            payee_name=remittance.payee_name,
            payee_npi=remittance.payee_npi,
            payee_tax_id=remittance.payee_tax_id,
            handling=remittance.handling,
            payment_amount=remittance.payment_amount,
            credit_debit=remittance.credit_debit,
            payment_method=remittance.payment_method,
            payment_date=remittance.payment_date,
            trace_number=remittance.trace_number,
            originating_company_id=remittance.originating_company_id,
            production_date=remittance.production_date,
            claims=tuple(remittance.claims),
            provider_adjustments=tuple(remittance.provider_adjustments),
            control_number=remittance.control_number or None,
            interchange_control_number=remittance.interchange_control_number,
            warnings=tuple(remittance.warnings),
        )
    )
    ctx.remittance = None
    ctx.loop = "outside"


# Header ----------------------------------------------------------------------------------------


@handles("BPR")
def _financial_information(ctx: _Context) -> None:
    remittance = _in_transaction(ctx)
    if remittance.payment_amount is not None:
        ctx.fail("a second BPR in one transaction")
    if ctx.loop != "header":
        ctx.warn("the BPR should come right after the ST")
    remittance.payment_amount = ctx.amount(BPR02)
    remittance.handling = ctx.code(BPR01, PaymentHandling, required=False)
    remittance.credit_debit = ctx.code(BPR03, CreditDebit, required=False)
    remittance.payment_method = ctx.code(BPR04, PaymentMethod, required=False)
    if remittance.credit_debit is None and not ctx.text(BPR03):
        ctx.warn(f"{BPR03} is missing")
    if remittance.payment_method is None and not ctx.text(BPR04):
        ctx.warn(f"{BPR04} is missing")
    if ctx.text(BPR16):
        remittance.payment_date = ctx.day(BPR16)
    else:
        ctx.warn(f"{BPR16} is missing")


@handles("TRN")
def _trace(ctx: _Context) -> None:
    remittance = _in_transaction(ctx)
    if "TRN" in remittance.seen:
        return  # a second TRN is not allowed; the first one identifies the payment
    remittance.seen.add("TRN")
    remittance.trace_number = ctx.optional_text(TRN02)
    remittance.originating_company_id = ctx.optional_text(TRN03)
    if remittance.trace_number is None:
        ctx.warn(f"{TRN02} is missing")


@handles("DTM")
def _date(ctx: _Context) -> None:
    remittance = _in_transaction(ctx)
    qualifier = ctx.text(DTM01)
    if ctx.loop == "header" and qualifier == "405":  # production date
        remittance.production_date = ctx.day(DTM02)
    elif ctx.loop == "2100" and ctx.claim is not None:
        if qualifier == "232":  # claim statement period start
            ctx.claim.service_start = ctx.day(DTM02)
        elif qualifier == "233":  # claim statement period end
            ctx.claim.service_end = ctx.day(DTM02)
        elif qualifier == "050":  # claim received
            ctx.claim.received_date = ctx.day(DTM02)
    elif ctx.loop == "2110" and ctx.line is not None:
        if qualifier == "472":  # service date
            ctx.line.service_start = ctx.line.service_end = ctx.day(DTM02)
        elif qualifier == "150":  # service period start
            ctx.line.service_start = ctx.day(DTM02)
        elif qualifier == "151":  # service period end
            ctx.line.service_end = ctx.day(DTM02)


@handles("N1")
def _party(ctx: _Context) -> None:
    remittance = _in_transaction(ctx)
    entity = ctx.text(N101)
    qualifier, identifier = ctx.text(N103), ctx.optional_text(N104)
    if entity == "PR":  # payer
        ctx.loop = "1000A"
        remittance.seen.add("N1*PR")
        remittance.payer_name = ctx.optional_text(N102)
        if qualifier == "XV" and identifier:  # CMS national plan id
            remittance.payer_id = identifier
    elif entity == "PE":  # payee
        _leave_payer_loop(ctx)
        ctx.loop = "1000B"
        remittance.seen.add("N1*PE")
        remittance.payee_name = ctx.optional_text(N102)
        if qualifier == "XX":  # NPI
            remittance.payee_npi = identifier
        elif qualifier == "FI":  # federal taxpayer id
            remittance.payee_tax_id = identifier
    else:
        ctx.warn(f"{N101} {entity!r} is neither PR (payer) nor PE (payee); segment skipped")


@handles("PER")
def _contact(ctx: _Context) -> None:
    remittance = _in_transaction(ctx)
    if ctx.loop == "1000A" and ctx.text(PER01) == "BL":
        remittance.payer_has_billing_contact = True


@handles("REF")
def _reference(ctx: _Context) -> None:
    remittance = _in_transaction(ctx)
    qualifier, value = ctx.text(REF01), ctx.optional_text(REF02)
    if ctx.loop == "1000A" and qualifier == "2U" and remittance.payer_id is None:  # payer identification number
        remittance.payer_id = value
    elif ctx.loop == "1000B" and qualifier == "TJ" and remittance.payee_tax_id is None:  # federal taxpayer id
        remittance.payee_tax_id = value
    elif ctx.loop == "2110" and qualifier == "6R" and ctx.line is not None:  # line item control number
        ctx.line.line_control_number = value


@handles(*_KNOWN_UNUSED)
def _unused(ctx: _Context) -> None:
    _in_transaction(ctx)


# Claims ----------------------------------------------------------------------------------------


@handles("LX")
def _header_number(ctx: _Context) -> None:
    _in_transaction(ctx)
    _leave_payer_loop(ctx)
    _close_claim(ctx)
    ctx.loop = "2000"


@handles("CLP")
def _claim(ctx: _Context) -> None:
    _in_transaction(ctx)
    _leave_payer_loop(ctx)
    _close_claim(ctx)
    ctx.loop = "2100"
    status = ctx.code(CLP02, ClaimStatus, required=True)
    assert status is not None
    ctx.claim = _ClaimDraft(
        patient_control_number=ctx.required_text(CLP01),
        status=status,
        charge=ctx.amount(CLP03),
        paid=ctx.amount(CLP04),
        patient_responsibility=ctx.optional_amount(CLP05),
        filing_indicator=ctx.optional_text(CLP06),
        payer_claim_control_number=ctx.optional_text(CLP07),
        facility_code=ctx.optional_text(CLP08),
        frequency=ctx.optional_text(CLP09),
    )


@handles("CAS")
def _adjustment(ctx: _Context) -> None:
    _in_transaction(ctx)
    if ctx.claim is None:
        ctx.fail("CAS outside a claim (no CLP before it)")
    group = ctx.code(CAS01, AdjustmentGroup, required=True)
    assert group is not None
    found: list[Adjustment] = []
    # Up to six (reason, amount, quantity) triples: CAS02-04, CAS05-07 ... CAS17-19.
    for first in range(2, min(len(ctx.fields), 20), 3):
        reason = ctx.fields[first].strip()
        amount_text = ctx.fields[first + 1].strip() if first + 1 < len(ctx.fields) else ""
        quantity = ctx.number_at(first + 2, f"CAS{first + 2:02} (adjustment quantity)")
        if not reason and not amount_text and quantity is None:
            continue
        if not reason:
            ctx.fail(f"CAS{first:02} (claim adjustment reason code) is missing before amount {amount_text!r}")
        if not _CODE.fullmatch(reason):
            ctx.fail(f"CAS{first:02} {reason!r} is not an adjustment reason code")
        amount = element_ref(f"CAS{first + 1:02}", "adjustment amount")
        found.append(Adjustment(group, reason, ctx.amount(amount), quantity))
    if not found:
        ctx.fail("CAS02 (claim adjustment reason code) is missing")
    if len(ctx.fields) > 20:
        ctx.warn(f"the CAS has {len(ctx.fields) - 1} elements; only the first 19 are defined")
    if ctx.loop == "2110" and ctx.line is not None:
        ctx.line.adjustments.extend(found)
    else:
        ctx.claim.adjustments.extend(found)


@handles("NM1")
def _name(ctx: _Context) -> None:
    _in_transaction(ctx)
    if ctx.loop != "2100" or ctx.claim is None:
        return
    entity = ctx.text(NM101)
    if entity == "QC":  # patient
        ctx.claim.patient = PatientName(
            last_name=ctx.text(NM103),
            first_name=ctx.optional_text(NM104),
            middle_name=ctx.optional_text(NM105),
            member_id=ctx.optional_text(NM109),
        )
    elif entity == "82" and ctx.text(NM108) == "XX":  # rendering provider, by NPI
        ctx.claim.rendering_provider_npi = ctx.optional_text(NM109)
    elif entity == "TT":  # crossover carrier: the payer the claim was forwarded to
        ctx.claim.crossover_carrier = ctx.optional_text(NM103)


def _remarks(ctx: _Context, elements: tuple[ElementRef, ...]) -> None:
    if ctx.claim is None:
        ctx.warn(f"{ctx.segment_id} outside a claim; skipped")
        return
    for element in elements:
        code = ctx.text(element)
        if code and code not in ctx.claim.remark_codes:
            ctx.claim.remark_codes.append(code)


@handles("MOA")
def _outpatient_adjudication(ctx: _Context) -> None:
    _in_transaction(ctx)
    _remarks(ctx, MOA_REMARKS)


@handles("MIA")
def _inpatient_adjudication(ctx: _Context) -> None:
    _in_transaction(ctx)
    _remarks(ctx, MIA_REMARKS)


@handles("AMT")
def _amount(ctx: _Context) -> None:
    _in_transaction(ctx)
    if ctx.loop == "2110" and ctx.line is not None and ctx.text(AMT01) == "B6":  # allowed - actual
        ctx.line.allowed_amount = ctx.amount(AMT02)


# Service lines ---------------------------------------------------------------------------------


def _procedure(ctx: _Context, element: ElementRef) -> tuple[str, str, tuple[str, ...], str | None]:
    parts = ctx.composite(element)
    qualifier = parts[0] if parts else ""
    code = parts[1] if len(parts) > 1 else ""
    if not qualifier:
        ctx.fail(f"{element} has no product/service id qualifier")
    if not code:
        ctx.fail(f"{element.ref}-02 (procedure code) is missing in {ctx.text(element)!r}")
    modifiers = tuple(m for m in parts[2:6] if m)
    description = parts[6] if len(parts) > 6 and parts[6] else None
    return qualifier, code, modifiers, description


@handles("SVC")
def _service(ctx: _Context) -> None:
    _in_transaction(ctx)
    if ctx.claim is None:
        ctx.fail("SVC outside a claim (no CLP before it)")
    _close_line(ctx)
    ctx.loop = "2110"
    qualifier, code, modifiers, description = _procedure(ctx, SVC01)
    units = ctx.number_at(SVC05.position, str(SVC05))
    line = _LineDraft(
        code_qualifier=qualifier,
        procedure_code=code,
        modifiers=modifiers,
        description=description,
        charge=ctx.amount(SVC02),
        paid=ctx.amount(SVC03),
        revenue_code=ctx.optional_text(SVC04),
        units_paid=Decimal("1") if units is None else units,  # the guide: absent means one unit
    )
    if ctx.text(SVC06):
        line.original_code_qualifier, line.original_procedure_code, line.original_modifiers, _ = _procedure(ctx, SVC06)
    line.original_units = ctx.number_at(SVC07.position, str(SVC07))
    if len(ctx.fields) > 8:
        ctx.warn(f"the SVC has {len(ctx.fields) - 1} elements; only the first 7 are defined")
    ctx.line = line


@handles("LQ")
def _line_remark(ctx: _Context) -> None:
    _in_transaction(ctx)
    if ctx.line is None:
        ctx.warn("LQ outside a service line; skipped")
        return
    if ctx.text(LQ01) == "HE":  # remittance advice remark codes (RARC)
        code = ctx.text(LQ02)
        if code and code not in ctx.line.remark_codes:
            ctx.line.remark_codes.append(code)


# Provider adjustments ---------------------------------------------------------------------------


@handles("PLB")
def _provider_adjustment(ctx: _Context) -> None:
    remittance = _in_transaction(ctx)
    _leave_payer_loop(ctx)
    _close_claim(ctx)
    ctx.loop = "summary"
    provider = ctx.text(PLB01)
    if not provider:
        ctx.warn(f"{PLB01} is missing")
    fiscal_period = ctx.day(PLB02)
    if fiscal_period is None and not ctx.text(PLB02):
        ctx.warn(f"{PLB02} is missing")
    found = 0
    # Up to six (reason composite, amount) pairs: PLB03-04, PLB05-06 ... PLB13-14.
    for first in range(3, 15, 2):
        identifier = element_ref(f"PLB{first:02}", "provider adjustment identifier")
        amount = element_ref(f"PLB{first + 1:02}", "provider adjustment amount")
        parts = ctx.composite(identifier)
        if not parts and not ctx.text(amount):
            continue
        reason = parts[0] if parts else ""
        if not reason:
            ctx.fail(f"{identifier.ref}-01 (adjustment reason code) is missing before amount {ctx.text(amount)!r}")
        if not re.fullmatch(r"[A-Z0-9]{2}", reason):
            ctx.fail(f"{identifier.ref}-01 {reason!r} is not a provider adjustment reason code")
        remittance.provider_adjustments.append(
            ProviderAdjustment(
                provider_id=provider,
                fiscal_period_end=fiscal_period,
                reason_code=reason,
                reference_id=parts[1] if len(parts) > 1 and parts[1] else None,
                amount=ctx.amount(amount),
            )
        )
        found += 1
    if not found:
        ctx.fail("PLB03 (provider adjustment identifier) is missing")
    if len(ctx.fields) > 15:
        ctx.warn(f"the PLB has {len(ctx.fields) - 1} elements; only the first 14 are defined")


# Entry points ----------------------------------------------------------------------------------


def read_835(source: Source, warnings: list[str] | None = None) -> Iterator[Remittance]:
    """Each remittance (ST..SE) in an 835 file, read as the data streams in.

    ``source`` is a path, bytes, X12 text, or an open file (text or binary). Each remittance carries
    its own ``warnings``; pass a list as ``warnings`` to collect every warning of the file, including
    envelope problems found after the last remittance. Raises ``RemittanceFormatError`` for content
    that cannot be read (``OSError`` only when the file itself cannot be opened).

    The cycle collector is off while the reader works and back on while the caller has a remittance:
    reading makes millions of small objects and no reference cycles, and each full collection would
    rescan every claim read so far, which made a 50,000-claim file slower per claim than a 5,000-claim one.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        for remittance in _read_835(source, warnings):
            if collecting:
                gc.enable()
            yield remittance
            gc.disable()
    finally:
        if collecting:
            gc.enable()


def _read_835(source: Source, warnings: list[str] | None) -> Iterator[Remittance]:
    stream = LenientReader(source)  # payers' files: perhaps no envelope, stray bytes or line breaks
    ctx = _Context(stream, warnings)
    try:
        for fields in stream:
            ctx.number += 1
            ctx.fields = fields
            ctx.segment_id = segment_id = fields[0].strip()
            if ctx.number == 1 and stream.delimiters is not None:
                ctx.component = stream.delimiters.component
            handler = _HANDLERS.get(segment_id)
            if handler is None:
                if not _SEGMENT_ID.fullmatch(segment_id):
                    ctx.fail(f"{segment_id[:20]!r} is not a segment id")
                _in_transaction(ctx)
                ctx.warn("not a segment of the 835; skipped")
            else:
                handler(ctx)
            if ctx.number == 1:  # after the ISA (or ST) has set up where its problems belong
                _take_stream_notes(ctx)
            if ctx.finished:
                yield from ctx.finished
                ctx.finished.clear()
        _take_stream_notes(ctx)
    except (RemittanceFormatError, OSError):
        raise
    except X12SyntaxError as exc:  # nothing to read, or no usable delimiters
        raise RemittanceFormatError(exc.detail, exc.segment_number, exc.segment_id) from None
    except Exception as exc:  # a reader bug must still surface as the one error callers handle
        raise RemittanceFormatError(
            f"could not be read (internal error {type(exc).__name__}: {exc})", ctx.number or None, ctx.segment_id
        ) from exc
    if ctx.remittance is not None:
        raise RemittanceFormatError(
            f"the data ends inside transaction {ctx.remittance.control_number!r} (no SE): the file is cut short"
        )
    if ctx.number == 0:
        raise RemittanceFormatError("there are no segments in the data")
    if not stream.has_envelope:
        return
    if ctx.loop == "outside" and ctx.segment_id not in ("IEA", ""):
        ctx.warn("the data does not end with an IEA")


def _take_stream_notes(ctx: _Context) -> None:
    for number, segment_id, problem in ctx.stream.notes:
        ctx.warn(problem, number, segment_id)
    ctx.stream.notes.clear()


def balance_problems(remittance: Remittance) -> list[str]:
    """Where the money does not add up; empty when it does. Reports, never raises.

    Checks the guide's balancing: the payment (BPR02) equals the claims paid (Σ CLP04) minus the
    provider adjustments (Σ PLB amounts, positive when money is taken back); each claim's charge less
    its claim- and line-level adjustments equals what was paid; each line's likewise.
    """
    problems: list[str] = []
    expected = remittance.claims_paid - remittance.provider_adjustment_total
    if remittance.credit_debit is CreditDebit.DEBIT:
        expected = -expected  # a debit takes the (negative) net from the provider's account
    if remittance.payment_amount != expected:
        problems.append(
            f"remittance {remittance.control_number}: payment {remittance.payment_amount} (BPR02) is not "
            f"claims paid {remittance.claims_paid} (Σ CLP04) less provider adjustments "
            f"{remittance.provider_adjustment_total} (Σ PLB) = {expected}"
        )
    for claim in remittance.claims:
        adjusted = claim.adjustment_total
        if claim.charge - adjusted != claim.paid:
            problems.append(
                f"claim {claim.patient_control_number}: charge {claim.charge} (CLP03) less adjustments {adjusted} "
                f"(claim and line CAS) = {claim.charge - adjusted}, but paid is {claim.paid} (CLP04)"
            )
        for number, line in enumerate(claim.service_lines, start=1):
            line_adjusted = sum((a.amount for a in line.adjustments), ZERO)
            if line.charge - line_adjusted != line.paid:
                problems.append(
                    f"claim {claim.patient_control_number} line {number} ({line.procedure_code}): charge "
                    f"{line.charge} (SVC02) less adjustments {line_adjusted} = {line.charge - line_adjusted}, "
                    f"but paid is {line.paid} (SVC03)"
                )
    return problems
