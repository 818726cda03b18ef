"""The segments of the X12 835 (005010X221A1) the reader reads: each element by its reference and its name.

The reader's messages name an element as the guide does, e.g. "CLP04 (claim payment amount)"; the
references appear only here and in the reader's handlers. Source: the X221A1 TR3, loops 1000A payer,
1000B payee, 2000 header number, 2100 claim payment, 2110 service payment, and the PLB.
"""

from __future__ import annotations

from ptbill.x12.elements import ElementRef, element_ref

__all__ = ["ElementRef", "element_ref"]

# Envelope
ISA13 = element_ref("ISA13", "interchange control number")
GS01 = element_ref("GS01", "functional identifier code")
GS06 = element_ref("GS06", "group control number")
GS08 = element_ref("GS08", "version / release / industry identifier code")
GE01 = element_ref("GE01", "number of transaction sets included")
GE02 = element_ref("GE02", "group control number")
IEA01 = element_ref("IEA01", "number of included functional groups")
IEA02 = element_ref("IEA02", "interchange control number")
ST01 = element_ref("ST01", "transaction set identifier code")
ST02 = element_ref("ST02", "transaction set control number")
ST03 = element_ref("ST03", "implementation convention reference")
SE01 = element_ref("SE01", "number of included segments")
SE02 = element_ref("SE02", "transaction set control number")
# Header: financial information, reassociation trace number, production date
BPR01 = element_ref("BPR01", "transaction handling code")
BPR02 = element_ref("BPR02", "total actual provider payment amount")
BPR03 = element_ref("BPR03", "credit/debit flag code")
BPR04 = element_ref("BPR04", "payment method code")
BPR16 = element_ref("BPR16", "check issue or EFT effective date")
TRN02 = element_ref("TRN02", "check or EFT trace number")
TRN03 = element_ref("TRN03", "payer identifier (originating company)")
DTM01 = element_ref("DTM01", "date time qualifier")
DTM02 = element_ref("DTM02", "date")
# Loops 1000A payer and 1000B payee identification
N101 = element_ref("N101", "entity identifier code")
N102 = element_ref("N102", "name")
N103 = element_ref("N103", "identification code qualifier")
N104 = element_ref("N104", "identification code")
PER01 = element_ref("PER01", "contact function code")
REF01 = element_ref("REF01", "reference identification qualifier")
REF02 = element_ref("REF02", "reference identification")
# Loop 2100 claim payment information
CLP01 = element_ref("CLP01", "patient control number")
CLP02 = element_ref("CLP02", "claim status code")
CLP03 = element_ref("CLP03", "total claim charge amount")
CLP04 = element_ref("CLP04", "claim payment amount")
CLP05 = element_ref("CLP05", "patient responsibility amount")
CLP06 = element_ref("CLP06", "claim filing indicator code")
CLP07 = element_ref("CLP07", "payer claim control number")
CLP08 = element_ref("CLP08", "facility type code")
CLP09 = element_ref("CLP09", "claim frequency type code")
CAS01 = element_ref("CAS01", "claim adjustment group code")
NM101 = element_ref("NM101", "entity identifier code")
NM103 = element_ref("NM103", "last name or organization name")
NM104 = element_ref("NM104", "first name")
NM105 = element_ref("NM105", "middle name")
NM108 = element_ref("NM108", "identification code qualifier")
NM109 = element_ref("NM109", "identification code")
MOA_REMARKS = tuple(element_ref(f"MOA0{i}", "claim payment remark code") for i in range(3, 8))
MIA_REMARKS = tuple(element_ref(f"MIA{i:02}", "claim payment remark code") for i in (5, 20, 21, 22, 23))
AMT01 = element_ref("AMT01", "amount qualifier code")
AMT02 = element_ref("AMT02", "monetary amount")
# Loop 2110 service payment information
SVC01 = element_ref("SVC01", "composite medical procedure identifier")
SVC02 = element_ref("SVC02", "line item charge amount")
SVC03 = element_ref("SVC03", "line item provider payment amount")
SVC04 = element_ref("SVC04", "national uniform billing committee revenue code")
SVC05 = element_ref("SVC05", "units of service paid count")
SVC06 = element_ref("SVC06", "composite medical procedure identifier (as submitted)")
SVC07 = element_ref("SVC07", "original units of service count")
LQ01 = element_ref("LQ01", "code list qualifier code")
LQ02 = element_ref("LQ02", "remark code")
# Provider adjustment
PLB01 = element_ref("PLB01", "provider identifier")
PLB02 = element_ref("PLB02", "fiscal period date")
