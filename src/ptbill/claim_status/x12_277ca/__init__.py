"""The X12 277CA Health Care Claim Acknowledgment, HIPAA guide 005010X214.

It has the 277's shape, read by ``claim_status.x12_276_277.reader``; ``reader.read_277ca`` insists on
the X214 guide and ``writer.write_277ca`` answers a batch of claims (a stand-in clearinghouse in tests).
"""

GUIDE = "005010X214"
