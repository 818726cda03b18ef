"""X12 837P (005010X222A1, health care claim: professional): the writer and the reader."""

GUIDE = "005010X222A1"
