"""The X12 835 Health Care Claim Payment/Advice, HIPAA guide 005010X221A1: reading remittances.

``reader.read_835`` turns a file into ``ptbill.domain.remittance.Remittance`` objects, one per
transaction set; ``reader.balance_problems`` checks that the money in one adds up. ``segments`` names
each element the reader reads; ``writer.write_835`` simulates payers for the demo and the tests.
"""

GUIDE = "005010X221A1"
