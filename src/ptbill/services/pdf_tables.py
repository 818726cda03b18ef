"""The ruled tables ptbill's PDFs draw (appeal packet, reopening request, estimate, ABN): one place for how a
table is lined and shaded, so every letter a clinic hands out looks the same."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from reportlab.lib import colors
from reportlab.platypus import Table, TableStyle

RULE = colors.HexColor("#c8ccd2")  # the lines between cells
SHADE = colors.HexColor("#eef1f5")  # a header row or a column of labels

Shade = Literal["header", "labels"] | None


def ruled_table(
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    shade: Shade = "header",
    heights: Sequence[float] | None = None,
    line: float = 0.4,
    outline: float | None = None,
    rule: colors.Color = RULE,
    fill: colors.Color = SHADE,
    extra: Sequence[tuple[Any, ...]] = (),
) -> Table:
    """``rows`` in cells aligned to the top, every cell ruled (``outline``: a heavier frame around them), the
    first row (``header``, repeated on a new page) or the first column (``labels``) shaded."""
    table = Table(
        [list(row) for row in rows],
        colWidths=list(widths),
        rowHeights=list(heights) if heights else None,
        hAlign="LEFT",
        repeatRows=1 if shade == "header" else 0,
    )
    style: list[tuple[Any, ...]] = [("VALIGN", (0, 0), (-1, -1), "TOP")]
    if outline is None:
        style.append(("GRID", (0, 0), (-1, -1), line, rule))
    else:
        style += [("BOX", (0, 0), (-1, -1), outline, rule), ("INNERGRID", (0, 0), (-1, -1), line, rule)]
    if shade == "header":
        style.append(("BACKGROUND", (0, 0), (-1, 0), fill))
    elif shade == "labels":
        style.append(("BACKGROUND", (0, 0), (0, -1), fill))
    table.setStyle(TableStyle([*style, *extra]))
    return table
