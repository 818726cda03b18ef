"""A payer's 271 answer, written for tests as the TR3's examples shape it (005010X279A1): the payer (HL 20),
the clinic (HL 21), the subscriber (HL 22) with the 270's trace echoed (TRN*2), the plan dates and the
benefits given as segments ("EB*1**30^PT", "MSG*...", "AAA*..."), ptbill's 271 reader reads it back."""

from __future__ import annotations


def write_271(
    *,
    member_id: str,
    last: str,
    first: str,
    trace: str | None,
    benefits: list[str],
    plan_begin: str = "20260101",
    payer: tuple[str, str] = ("AETNA", "60054"),
    control: int = 1,
) -> str:
    body = [
        "ST*271*0001*005010X279A1",
        "BHT*0022*11*R1*20260227*1200",
        "HL*1**20*1",
        f"NM1*PR*2*{payer[0]}*****PI*{payer[1]}",
        "HL*2*1*21*1",
        "NM1*1P*2*HARBOR PT*****XX*1245319599",
        "HL*3*2*22*0",
        *([f"TRN*2*{trace}*9954512345"] if trace else []),
        f"NM1*IL*1*{last}*{first}****MI*{member_id}",
        f"DTP*346*D8*{plan_begin}",
        *benefits,
    ]
    segments = [*body, f"SE*{len(body) + 1}*0001"]
    isa = (
        f"ISA*00*          *00*          *ZZ*RECEIVERTEST   *ZZ*PTBILLTEST     *260227*1200*^*00501*{control:09d}*0*T*:"
    )
    envelope = [isa, f"GS*HB*RECEIVERTEST*PTBILLTEST*20260227*1200*{control}*X*005010X279A1"]
    return "~".join([*envelope, *segments, f"GE*1*{control}", f"IEA*1*{control:09d}"]) + "~\n"


ACTIVE_500_20 = [
    "EB*1*IND*30^PT**GOLD PPO",
    "EB*C*IND*30***23*1500*****Y",
    "EB*C*IND*30***29*500*****Y",
    "EB*G*IND*30***23*6000*****Y",
    "EB*G*IND*30***29*4200*****Y",
    "EB*A*IND*PT*****0.2****Y",
    "EB*F*IND*PT***23***VS*30**Y",
    "EB*F*IND*PT***29***VS*12**Y",
]
INACTIVE = ["EB*6**30", "MSG*POLICY TERMINATED 01/31/2026"]
