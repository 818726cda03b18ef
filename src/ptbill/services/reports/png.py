"""A report's chart model as a PNG (matplotlib, no display needed): the chart the page draws as SVG.

Bars run horizontally, one band per label, with the lowest-to-highest whisker when the model has ranges;
lines break where a value is missing and carry each label's note under it, as on the page.
"""

from __future__ import annotations

import io
import math

from ptbill.services.reports.base import ChartModel, Unit

COLOURS = ("#9aa5b1", "#1f6feb", "#d97706", "#7c3aed")  # reference grey first when there are two


def _colours(count: int) -> tuple[str, ...]:
    return ("#1f6feb",) if count == 1 else COLOURS[:count]


def _text(value: float, unit: Unit) -> str:
    if unit == "$":
        return f"${value:,.2f}"
    if unit == "%":
        return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _tick(value: float, unit: Unit) -> str:
    if unit == "$":
        return f"${value:,.0f}" if value == int(value) else f"${value:,.2f}"
    return _text(value, unit)


def chart_png(chart: ChartModel) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    colours = _colours(len(chart.series))
    if chart.kind == "bar":
        height = max(2.5, 0.9 + 0.32 * len(chart.labels) * max(len(chart.series), 1))
        figure, axis = plt.subplots(figsize=(12.4, height), dpi=100)
        band = 0.8 / max(len(chart.series), 1)
        ends = [span[1] if span else 0.0 for span in chart.ranges] or [0.0] * len(chart.labels)
        for position, series in enumerate(chart.series):
            ys = [i + position * band for i in range(len(chart.labels))]
            axis.barh(
                ys, [v or 0.0 for v in series.values], height=band * 0.9, color=colours[position], label=series.name
            )
            last = position == len(chart.series) - 1  # the value stands right of the whisker, as on the page
            for i, (y, value) in enumerate(zip(ys, series.values, strict=True)):
                if value is not None:
                    at = max(value, ends[i]) if last and i < len(ends) else value
                    axis.annotate(
                        _text(value, chart.unit), (at, y), xytext=(4, 0), textcoords="offset points", va="center",
                        fontsize=7,
                    )  # fmt: skip
        for i, span in enumerate(chart.ranges):
            if span is not None:
                y = i + (len(chart.series) - 1) * band
                axis.errorbar(
                    [(span[0] + span[1]) / 2], [y], xerr=[[(span[1] - span[0]) / 2]], fmt="none", ecolor="#374151",
                    capsize=4, linewidth=1,
                )  # fmt: skip
        axis.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _tick(v, chart.unit)))
        axis.margins(x=0.08)
        middle = band * (len(chart.series) - 1) / 2
        axis.set_yticks([i + middle for i in range(len(chart.labels))], list(chart.labels), fontsize=8)
        axis.invert_yaxis()  # the first label on top, as on the page
        axis.grid(axis="x", alpha=0.3)
    else:
        width, height_px = chart.size
        figure, axis = plt.subplots(figsize=(width / 100, max(height_px, 240) / 100), dpi=100)
        x = list(range(len(chart.labels)))
        for position, series in enumerate(chart.series):
            values = [math.nan if v is None else v for v in series.values]
            axis.plot(x, values, marker="o", color=colours[position], label=series.name)
            for xi, value in zip(x, series.values, strict=True):
                if value is not None:
                    axis.annotate(
                        _text(value, chart.unit),
                        (xi, value),
                        xytext=(0, 8),
                        textcoords="offset points",
                        ha="center",
                        fontsize=8,
                    )
        labels = [
            f"{label}\n{note}" if note else label
            for label, note in zip(chart.labels, chart.notes or [""] * len(chart.labels), strict=True)
        ]
        axis.set_xticks(x, labels, fontsize=8)
        if chart.unit == "%":
            axis.set_ylim(0, 112)  # room above 100 % for the point's value
            axis.set_yticks([0, 20, 40, 60, 80, 100])
        axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _tick(v, chart.unit)))
        axis.grid(axis="y", alpha=0.3)
    if chart.empty:
        axis.text(0.5, 0.5, "Nothing to draw yet.", transform=axis.transAxes, ha="center", va="center")
    axis.set_title(chart.title, fontsize=10)
    if len(chart.series) > 1:
        axis.legend(fontsize=8)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    return out.getvalue()
