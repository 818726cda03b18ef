"""The elements of the 270 and 271 (005010X279A1) the reader and writer use, by reference and name.

Source: the X279A1 TR3: BHT; HL 20 information source, 21 information receiver, 22 subscriber, 23
dependent; NM1, TRN, DMG, INS, DTP, AAA; loop 2110 EB (271) or EQ (270) with HSD, DTP, MSG, AAA; LS/LE
around loop 2120.
"""

from __future__ import annotations

from ptbill.x12.elements import element_ref

# The BHT, HL, NM1, TRN, DMG and DTP elements every hierarchical set shares are in ``x12.hierarchy``.

DMG03 = element_ref("DMG03", "gender code")
AAA01 = element_ref("AAA01", "yes/no condition or response code (valid request)")
AAA03 = element_ref("AAA03", "reject reason code")
AAA04 = element_ref("AAA04", "follow-up action code")
EQ01 = element_ref("EQ01", "service type code")
EB01 = element_ref("EB01", "eligibility or benefit information code")
EB02 = element_ref("EB02", "coverage level code")
EB03 = element_ref("EB03", "service type code")
EB04 = element_ref("EB04", "insurance type code")
EB05 = element_ref("EB05", "plan coverage description")
EB06 = element_ref("EB06", "time period qualifier")
EB07 = element_ref("EB07", "monetary amount")
EB08 = element_ref("EB08", "percentage as decimal")
EB09 = element_ref("EB09", "quantity qualifier")
EB10 = element_ref("EB10", "quantity")
EB11 = element_ref("EB11", "authorization or certification indicator")
EB12 = element_ref("EB12", "in plan network indicator")
EB13 = element_ref("EB13", "composite medical procedure identifier")
HSD01 = element_ref("HSD01", "quantity qualifier")
HSD02 = element_ref("HSD02", "quantity")
HSD05 = element_ref("HSD05", "time period qualifier")
HSD06 = element_ref("HSD06", "number of periods")
MSG01 = element_ref("MSG01", "free-form message text")
