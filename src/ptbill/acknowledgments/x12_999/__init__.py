"""The X12 999 Implementation Acknowledgment, HIPAA guide 005010X231A1.

``reader.read_999`` turns a file into ``ptbill.domain.acknowledgment.ImplementationAck`` values;
``writer.write_999`` answers a functional group (a stand-in clearinghouse in tests); ``codes`` words
the IK3, IK4, IK5 and AK9 codes.
"""

GUIDE = "005010X231A1"
FUNCTIONAL_ID = "FA"  # GS01
