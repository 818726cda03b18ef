"""The page's SVG and the PNG export are drawn from one chart model: same labels, series and values."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from ptbill.services.reports import ChartModel, Series, chart_png
from ptbill.web.charts import svg_chart

BARS = ChartModel(
    "bar",
    "Average paid per unit of 97012",
    ("Aetna", "CA Medicare South"),
    (Series("Average paid per unit", (19.21, 9.0)),),
    ranges=((15.0, 22.5), None),
)
LINE = ChartModel(
    "line",
    "Claims denied",
    ("Jan 2026", "Feb 2026", "Mar 2026"),
    (Series("Claims denied", (10.0, None, 30.0)),),
    unit="%",
    notes=("1 of 10 claims", "no claims", "3 of 10 claims"),
)


def test_the_svg_geometry_draws_the_model_s_labels_values_and_ranges() -> None:
    bars = svg_chart(BARS)
    assert [row["full"] for row in bars["rows"]] == list(BARS.labels)
    assert [b["text"] for row in bars["rows"] for b in row["bars"]] == ["$19.21", "$9.00"]
    assert bars["rows"][0]["whisker"] is not None
    assert bars["rows"][1]["whisker"] is None
    line = svg_chart(LINE)
    assert [x["text"] for x in line["xlabels"]] == list(LINE.labels)
    assert [x["note"] for x in line["xlabels"]] == list(LINE.notes)
    assert [p["text"] for p in line["lines"][0]["points"]] == ["10%", "30%"]
    assert len(line["lines"][0]["paths"]) == 0  # a missing month is a gap: no segment joins two points


@pytest.mark.parametrize("chart", [BARS, LINE, ChartModel("bar", "Nothing", (), ())])
def test_the_png_is_drawn_from_the_same_model(chart: ChartModel) -> None:
    image = Image.open(io.BytesIO(chart_png(chart)))
    assert image.format == "PNG"
    assert image.width >= 900
