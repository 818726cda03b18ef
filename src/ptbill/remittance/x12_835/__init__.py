"""The X12 835 Health Care Claim Payment/Advice, HIPAA guide 005010X221A1: reading remittances.

``reader.read_835`` turns a file into ``ptbill.domain.remittance.Remittance`` objects, one per
transaction set; ``reader.balance_problems`` checks that the money in one adds up.
"""

GUIDE = "005010X221A1"
