"""Reading a large 835: ptbill's streaming reader beside pyx12's full validation of the same file.

Generates a synthetic PT-clinic Medicare remittance (default 5,000 claims, 2-4 therapy lines each,
some denied with remarks, a PLB), has pyx12 validate it once (that run is also pyx12's timing), then
times ``read_835`` over the whole file. Target: ours at least 10x faster.
Run from the repository root: ``.venv/bin/python bench/remit.py [--claims 5000] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import io
import logging
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from ptbill.remittance.x12_835.reader import balance_problems, read_835

CENT = Decimal("0.01")
# (code, charge per unit, Medicare-like allowed per unit): PT codes billed with GP.
CODES = [
    ("97110", Decimal("70.00"), Decimal("29.02")),
    ("97112", Decimal("75.00"), Decimal("32.08")),
    ("97140", Decimal("65.00"), Decimal("27.18")),
    ("97530", Decimal("80.00"), Decimal("34.61")),
    ("97012", Decimal("40.00"), Decimal("14.23")),
    ("97035", Decimal("35.00"), Decimal("13.91")),
]
ISA = "ISA*00*          *00*          *ZZ*MACJ1PAYER     *ZZ*PTBILL01       *261126*1200*^*00501*000000001*0*P*:"


def synthetic_835(claims: int, seed: int = 835) -> str:
    """One interchange, one transaction: ``claims`` claim payments that balance, and one PLB."""
    rng = random.Random(seed)
    body: list[str] = []
    paid_total = Decimal(0)
    for n in range(1, claims + 1):
        day = f"202610{rng.randint(1, 28):02}"
        lines: list[str] = []
        charge_sum = paid_sum = patient_sum = Decimal(0)
        for k, (code, charge_unit, allowed_unit) in enumerate(rng.sample(CODES, rng.randint(2, 4)), start=1):
            units = 1 if code == "97012" else rng.randint(1, 3)
            charge = charge_unit * units
            lines += [f"SVC*HC:{code}:GP*{charge}*{{paid}}**{units}", f"DTM*472*{day}"]
            if rng.random() < 0.05:  # denied: medical necessity not shown
                lines[-2] = lines[-2].format(paid="0")
                lines += [f"CAS*CO*50*{charge}", f"REF*6R*PT{n}-{k}", "LQ*HE*N661"]
                charge_sum += charge
                continue
            allowed = allowed_unit * units
            paid = (allowed * Decimal("0.8")).quantize(CENT)
            coinsurance = allowed - paid
            lines[-2] = lines[-2].format(paid=paid)
            lines += [
                f"CAS*CO*45*{charge - allowed}",
                f"CAS*PR*2*{coinsurance}",
                f"REF*6R*PT{n}-{k}",
                f"AMT*B6*{allowed}",
            ]
            charge_sum += charge
            paid_sum += paid
            patient_sum += coinsurance
        body += [
            f"CLP*PT{n:06}*1*{charge_sum}*{paid_sum}*{patient_sum}*MB*2632100{n:07}*11*1",
            f"NM1*QC*1*PATIENT{n}*ALEX****MI*{n:04}EG4TE5MK",
            "NM1*82*1*THERAPIST*PAT****XX*1234567893",
            f"DTM*050*{day}",
            *lines,
        ]
        paid_total += paid_sum
    recovered = Decimal("25.00")
    header = [
        "ST*835*0001",
        f"BPR*I*{paid_total - recovered}*C*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765*20261120",
        "TRN*1*EFT20261120*1512345678",
        "DTM*405*20261118",
        "N1*PR*MEDICARE PART B J1",
        "N3*PO BOX 1000",
        "N4*SPRINGFIELD*IL*62701",
        "PER*BL*PROVIDER SERVICES*TE*8005551212",
        "N1*PE*HARBOR PHYSICAL THERAPY*XX*1234567893",
        "REF*TJ*123456789",
        "LX*1",
    ]
    transaction = [*header, *body, f"PLB*1234567893*20261231*WO:2630000000001*{recovered}"]
    transaction.append(f"SE*{len(transaction) + 1}*0001")
    segments = [
        ISA,
        "GS*HP*MACJ1PAYER*PTBILL01*20261126*1200*1*X*005010X221A1",
        *transaction,
        "GE*1*1",
        "IEA*1*000000001",
    ]
    return "~\n".join(segments) + "~\n"


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def pyx12_validate(path: Path) -> tuple[bool, list[str], float]:
    """pyx12's full validation (what ``x12valid`` does), on a copy; its verdict, errors and wall time."""
    import pyx12.params
    import pyx12.x12n_document

    logger = logging.getLogger("pyx12")
    handler = _Errors()
    logger.addHandler(handler)
    logger.setLevel(logging.ERROR)
    try:
        started = time.perf_counter()
        ok = pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(), src_file=str(path), fd_997=io.StringIO(), fd_html=None, fd_json=None
        )
        seconds = time.perf_counter() - started
    finally:
        logger.removeHandler(handler)
    # pyx12 4.0.0 cannot build a 999 for any 835 (the map marks ST03 not used): noise, not a finding.
    errors = [m for m in handler.messages if m != "Failed to create 999 response"]
    return bool(ok), errors, seconds


def time_ptbill(path: Path, runs: int) -> tuple[list[float], int, int]:
    seconds: list[float] = []
    claims = lines = 0
    for _ in range(runs):
        started = time.perf_counter()
        remittances = list(read_835(path))
        seconds.append(time.perf_counter() - started)
        claims = sum(len(r.claims) for r in remittances)
        lines = sum(len(c.service_lines) for r in remittances for c in r.claims)
        problems = [p for r in remittances for p in balance_problems(r)]
        if problems:
            raise SystemExit(f"the synthetic remittance does not balance: {problems[:3]}")
    return seconds, claims, lines


# Posting into PostgreSQL is measured separately once the storage layer can post remittances: add its
# timing here, after the parse, on the same file.


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5, help="parse runs of ours (pyx12 runs once: it takes seconds)")
    args = parser.parse_args()

    text = synthetic_835(args.claims)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "remittance.835"
        path.write_text(text, encoding="ascii")
        size = path.stat().st_size
        segments = text.count("~")
        ours, claims, lines = time_ptbill(path, args.runs)
        copy = Path(tmp) / "pyx12-copy.835"  # pyx12 writes beside its input: give it a copy
        copy.write_bytes(path.read_bytes())
        valid, errors, pyx12_seconds = pyx12_validate(copy)

    print(f"synthetic 835: {claims:,} claims, {lines:,} service lines, {segments:,} segments, {size / 1e6:.1f} MB")
    print(
        f"pyx12 4.0.0 verdict: {'valid' if valid and not errors else 'INVALID'}" + (f" {errors[:3]}" if errors else "")
    )
    best, median = min(ours), statistics.median(ours)
    print(f"ptbill read_835 (parse to Remittance): median {median:.3f} s, best {best:.3f} s over {args.runs} runs")
    print(f"pyx12 full validation (x12n_document):  {pyx12_seconds:.3f} s (1 run)")
    print(f"ratio pyx12 / ptbill (median): {pyx12_seconds / median:.1f}x  (target >= 10x)")


if __name__ == "__main__":
    main()
