"""Small, hand-checked 835s for the remittance tests: a PT clinic's Medicare remittance with a
reversal and its correction, several claims and a provider adjustment with three composites.

No public sample has a reversal (CLP02 = 22), so these are built here; pyx12 judges them valid.
"""

from __future__ import annotations

from collections.abc import Sequence

ISA = "ISA*00*          *00*          *ZZ*MACJ1PAYER     *ZZ*PTBILL01       *261126*1200*^*00501*000000907*0*T*:"

HEADER = (
    "BPR*I*{payment}*C*CHK************20261120",
    "TRN*1*CHK0044211*1999999999",
    "DTM*405*20261118",
    "N1*PR*MEDICARE PART B J1",
    "N3*PO BOX 1000",
    "N4*SPRINGFIELD*IL*62701",
    "PER*BL*PROVIDER SERVICES*TE*8005551212",
    "N1*PE*HARBOR PHYSICAL THERAPY*XX*1234567893",
    "REF*TJ*123456789",
)

# Paid 2026-11: 97012 GP (40.00 billed, 23.00 allowed, 80 % paid) and 97110 GP x2.
CLAIM_PAID = (
    "CLP*PT1001*1*180*66.4*16.6*MB*26321000001*11*1",
    "NM1*QC*1*DOE*JANE****MI*1EG4TE5MK73",
    "DTM*232*20261103",
    "DTM*233*20261103",
    "SVC*HC:97012:GP*40*18.4**1",
    "DTM*472*20261103",
    "CAS*CO*45*17",
    "CAS*PR*2*4.6",
    "REF*6R*PT1001-1",
    "AMT*B6*23",
    "SVC*HC:97110:GP*140*48**2",
    "DTM*472*20261103",
    "CAS*CO*45*80",
    "CAS*PR*2*12",
    "REF*6R*PT1001-2",
    "AMT*B6*60",
)

# The payer takes back an earlier payment of claim PT1000 (every amount negated) ...
CLAIM_REVERSAL = (
    "CLP*PT1000*22*-180*-48*-12*MB*26300000009*11*1",
    "NM1*QC*1*ROE*RICHARD****MI*2EG4TE5MK74",
    "SVC*HC:97110:GP*-140*-48**2",
    "DTM*472*20261020",
    "CAS*CO*45*-80",
    "CAS*PR*2*-12",
    "SVC*HC:97012*-40*0**1",
    "DTM*472*20261020",
    "CAS*CO*4*-40",
    "LQ*HE*N657",
)

# ... and pays the corrected claim: 97012 now with GP.
CLAIM_CORRECTED = (
    "CLP*PT1000*1*180*66.4*16.6*MB*26321000002*11*7",
    "NM1*QC*1*ROE*RICHARD****MI*2EG4TE5MK74",
    "SVC*HC:97110:GP*140*48**2",
    "DTM*472*20261020",
    "CAS*CO*45*80",
    "CAS*PR*2*12",
    "SVC*HC:97012:GP*40*18.4**1",
    "DTM*472*20261020",
    "CAS*CO*45*17",
    "CAS*PR*2*4.6",
)

# Denied: medical necessity not supported on the first line, time not documented on the second.
CLAIM_DENIED = (
    "CLP*PT1002*4*110*0*0*MB*26321000003*11*1",
    "NM1*QC*1*POE*ANNA****MI*3EG4TE5MK75",
    "SVC*HC:97140:GP*70*0**1",
    "DTM*472*20261104",
    "CAS*CO*50*70",
    "LQ*HE*N661",
    "SVC*HC:97012:GP*40*0**1",
    "DTM*472*20261104",
    "CAS*CO*16*40",
    "LQ*HE*N443",
)

# Provider adjustments: 25.00 recovered (WO), 1.50 interest paid (L6), 10.00 refund returned (72).
PLB_THREE = "PLB*1234567893*20261231*WO:26300000009*25*L6:PT1001*-1.5*72:RF20261101*10"
PLB_TOTAL = "33.5"  # 25 - 1.5 + 10


def transaction(
    claims: Sequence[Sequence[str]], payment: str, plb: Sequence[str] = (), control: str = "0001"
) -> list[str]:
    body = [h.format(payment=payment) for h in HEADER]
    for number, claim in enumerate(claims, start=1):
        body.append(f"LX*{number}")
        body.extend(claim)
    body.extend(plb)
    return [f"ST*835*{control}", *body, f"SE*{len(body) + 2}*{control}"]


def interchange(*transactions: list[str], terminator: str = "~\n") -> str:
    group = [segment for t in transactions for segment in t]
    segments = [
        ISA,
        "GS*HP*MACJ1PAYER*PTBILL01*20261126*1200*907*X*005010X221A1",
        *group,
        f"GE*{len(transactions)}*907",
        "IEA*1*000000907",
    ]
    return terminator.join(segments) + terminator


def medicare_remittance() -> str:
    """One remittance: the reversal of PT1000, its correction, PT1001 paid, PT1002 denied, and a PLB.

    Claims paid: -48 + 66.4 + 66.4 + 0 = 84.80; less provider adjustments 33.50 = 51.30.
    """
    claims = [CLAIM_REVERSAL, CLAIM_CORRECTED, CLAIM_PAID, CLAIM_DENIED]
    return interchange(transaction(claims, "51.3", [PLB_THREE]))
