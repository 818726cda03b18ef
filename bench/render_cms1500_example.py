"""Regenerate docs/cms1500-example.png: the clean Medicare lumbar-traction example on the 1500 form.

The claim mirrors examples/medicare-lumbar-traction-clean.json (synthetic people and numbers).
Needs poppler's ``pdftoppm``. Usage: ``.venv/bin/python bench/render_cms1500_example.py [--pdf out.pdf]``
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from ptbill.claims.cms1500 import write_cms1500
from ptbill.domain.claim import Claim, ClaimParty, ClaimPayer, Person, PostalAddress, ServiceLine

ROOT = Path(__file__).resolve().parent.parent
PNG = ROOT / "docs" / "cms1500-example.png"


def example_claim() -> Claim:
    """examples/medicare-lumbar-traction-clean.json as a claim: 97012, 97110 and 97140, all GP."""
    day = date(2026, 3, 2)
    patient = Person("Ava", "Testwell", date(1961, 4, 2), "F", PostalAddress("9 Oak St", "Goleta", "CA", "93117"))
    lines = tuple(
        ServiceLine(n, code, ("GP",), 1, Decimal(charge), pointers, day, "11")
        for n, (code, charge, pointers) in enumerate(
            [("97012", "48.00", (1, 2)), ("97110", "72.00", (1,)), ("97140", "66.00", (2,))], start=1
        )
    )
    return Claim(
        claim_id="EX01-20260302",
        encounter_id="ex-01",
        payer=ClaimPayer(
            "ca-medicare-south",
            "Medicare Part B (example MAC)",
            "01182",
            is_medicare=True,
            address=PostalAddress("PO Box 1000", "Fargo", "ND", "58100-1000"),
        ),
        billing_provider=ClaimParty(
            "Harbor Physical Therapy",
            "1245319599",
            tax_id="954512345",
            address=PostalAddress("120 Harbor Way", "Santa Barbara", "CA", "93109"),
        ),
        rendering_provider=ClaimParty("Reyes", "1093817462", first_name="Dana"),
        patient=patient,
        subscriber=patient,
        relationship="self",
        member_id="1EG4TE5MK73",
        group_number=None,
        diagnoses=("M5116", "M5416"),
        lines=lines,
        place_of_service="11",
        service_date=day,
        referring_provider=ClaimParty("Cho", "1528060639", first_name="Alan"),
        prior_authorization="A-5531",
        created=date(2026, 3, 3),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", type=Path, help="also keep the PDF here")
    parser.add_argument("--png", type=Path, default=PNG)
    parser.add_argument("--dpi", type=int, default=100)
    args = parser.parse_args()
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise SystemExit("pdftoppm not found: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory() as tmp:
        pdf = write_cms1500([example_claim()], Path(tmp) / "example.pdf")
        if args.pdf:
            shutil.copyfile(pdf, args.pdf)
        stem = Path(tmp) / "page"
        subprocess.run([pdftoppm, "-png", "-r", str(args.dpi), "-singlefile", str(pdf), str(stem)], check=True)
        args.png.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stem.with_suffix(".png"), args.png)
    print(f"wrote {args.png.relative_to(ROOT) if args.png.is_relative_to(ROOT) else args.png}")


if __name__ == "__main__":
    main()
