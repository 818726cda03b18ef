"""The X12 270/271 Health Care Eligibility Benefit Inquiry and Response, HIPAA guide 005010X279A1.

``reader.read_271`` and ``reader.read_270`` (values in ``ptbill.domain.eligibility``), ``writer.write_270``
(a patient's coverage on a date of service), ``codes`` the EB, AAA and DTP codes in words.
"""

GUIDE = "005010X279A1"
GUIDES = (GUIDE, "005010X279")  # the TR3's own 271 examples carry the pre-errata id
REQUEST_FUNCTIONAL_ID = "HS"  # GS01 of a 270
RESPONSE_FUNCTIONAL_ID = "HB"  # GS01 of a 271
