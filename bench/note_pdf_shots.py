"""Regenerate docs/screenshots/note-pdf.png (an initial evaluation's first page) and episode-pdf.png (the cover of
an episode of care: evaluation, daily notes, progress report, discharge), rendered with poppler's pdftoppm.

The notes are the integration tests' episode (tests/integration/note_documents_world.py), written through the
services into a fresh SQLite file, with plain words where the tests type markup.

Usage: ``.venv/bin/python bench/note_pdf_shots.py [--out docs/screenshots] [--resolution 80]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the notes are the tests' own

from sqlalchemy.orm import Session  # noqa: E402

from ptbill.services import episode_pdf, note_pdf  # noqa: E402
from ptbill.storage.migrate import upgrade  # noqa: E402
from ptbill.storage.session import make_engine  # noqa: E402
from tests.integration.note_documents_world import CLOCK, episode_world  # noqa: E402


def first_page(pdf: bytes, folder: Path, target: Path, resolution: int) -> None:
    source = folder / f"{target.stem}.pdf"
    source.write_bytes(pdf)
    prefix = folder / target.stem
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(resolution), "-f", "1", "-l", "1", "-singlefile", str(source), str(prefix)],
        check=True,
    )
    target.write_bytes(prefix.with_suffix(".png").read_bytes())
    print(f"wrote {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--resolution", type=int, default=80)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ptbill-note-shots-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'ptbill.sqlite3'}"
        upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            world = episode_world(session, "Harbor Physical Therapy", hostile=False)
            note = note_pdf.note_pdf(session, world.biller, world.episode[0], clock=CLOCK)
            episode = episode_pdf.episode_pdf(session, world.biller, world.patient_id, world.episode[0], clock=CLOCK)
            session.rollback()
        engine.dispose()
        first_page(note, folder, arguments.out / "note-pdf.png", arguments.resolution)
        first_page(episode, folder, arguments.out / "episode-pdf.png", arguments.resolution)


if __name__ == "__main__":
    main()
