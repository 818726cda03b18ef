"""The X12 276/277 Health Care Claim Status Request and Response, HIPAA guide 005010X212.

``reader.read_276`` and ``reader.read_277`` (the 277 reader also reads the 277CA's shape);
``writer.write_276`` asks about claims, ``writer.write_277`` answers (a stand-in payer in tests).
"""

GUIDE = "005010X212"
REQUEST_FUNCTIONAL_ID = "HR"  # GS01 of a 276
RESPONSE_FUNCTIONAL_ID = "HN"  # GS01 of a 277
