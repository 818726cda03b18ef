"""The elements of the 276, 277 (005010X212) and 277CA (005010X214) the readers and writers use.

Source: the X212 and X214 TR3s: BHT; HL levels 20 information source, 21 information receiver, 19
service provider, 22 subscriber, 23 dependent (PT patient in the 277CA); NM1, TRN, STC, REF, AMT, QTY,
DMG, DTP, SVC.
"""

from __future__ import annotations

from ptbill.x12.elements import element_ref

# The BHT, HL, NM1, TRN, DMG and DTP elements every hierarchical set shares are in ``x12.hierarchy``.

STC01 = element_ref("STC01", "health care claim status")
STC02 = element_ref("STC02", "status information effective date")
STC03 = element_ref("STC03", "action code")
STC04 = element_ref("STC04", "total claim charge amount")
STC05 = element_ref("STC05", "claim payment amount")
STC06 = element_ref("STC06", "adjudication or payment date")
STC08 = element_ref("STC08", "remittance date")
STC09 = element_ref("STC09", "remittance trace number")
STC10 = element_ref("STC10", "health care claim status")
STC11 = element_ref("STC11", "health care claim status")
STC12 = element_ref("STC12", "free-form message text")
REF01 = element_ref("REF01", "reference identification qualifier")
REF02 = element_ref("REF02", "reference identification")
AMT01 = element_ref("AMT01", "amount qualifier code")
AMT02 = element_ref("AMT02", "monetary amount")
QTY01 = element_ref("QTY01", "quantity qualifier")
QTY02 = element_ref("QTY02", "quantity")
SVC01 = element_ref("SVC01", "composite medical procedure identifier")
SVC02 = element_ref("SVC02", "line item charge amount")
SVC03 = element_ref("SVC03", "line item provider payment amount")
SVC07 = element_ref("SVC07", "original units of service count")
