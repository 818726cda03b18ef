"""The elements of the 999 (005010X231A1) the reader and writer use, by reference and name.

Source: the X231A1 TR3: AK1 functional group response header, loop 2000 AK2 transaction set response
header, loop 2100 IK3 segment error with CTX, loop 2110 IK4 element error with CTX, IK5 transaction set
response trailer, AK9 functional group response trailer.
"""

from __future__ import annotations

from ptbill.x12.elements import element_ref

AK101 = element_ref("AK101", "functional identifier code")
AK102 = element_ref("AK102", "group control number")
AK103 = element_ref("AK103", "version / release / industry identifier code")
AK201 = element_ref("AK201", "transaction set identifier code")
AK202 = element_ref("AK202", "transaction set control number")
AK203 = element_ref("AK203", "implementation convention reference")
IK301 = element_ref("IK301", "segment id code")
IK302 = element_ref("IK302", "segment position in transaction set")
IK303 = element_ref("IK303", "loop identifier code")
IK304 = element_ref("IK304", "implementation segment syntax error code")
CTX01 = element_ref("CTX01", "context identification")
CTX02 = element_ref("CTX02", "segment id code")
IK401 = element_ref("IK401", "position in segment")
IK402 = element_ref("IK402", "data element reference number")
IK403 = element_ref("IK403", "implementation data element syntax error code")
IK404 = element_ref("IK404", "copy of bad data element")
IK501 = element_ref("IK501", "transaction set acknowledgment code")
IK5_ERRORS = tuple(element_ref(f"IK50{n}", "implementation transaction set syntax error code") for n in range(2, 7))
AK901 = element_ref("AK901", "functional group acknowledge code")
AK902 = element_ref("AK902", "number of transaction sets included")
AK903 = element_ref("AK903", "number of received transaction sets")
AK904 = element_ref("AK904", "number of accepted transaction sets")
AK9_ERRORS = tuple(element_ref(f"AK90{n}", "functional group syntax error code") for n in range(5, 10))
