"""X12 837P (005010X222A1, health care claim: professional): the writer, the reader and the loops."""

GUIDE = "005010X222A1"
