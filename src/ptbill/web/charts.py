"""Charts drawn on the server as inline SVG (no script): the geometry of a report's ``ChartModel``.

``svg_chart`` turns the model into what ``templates/reports/_chart.html`` draws; the PNG export
(``services.reports.png``) draws the same model with matplotlib.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ptbill.services.reports import ChartModel


def svg_chart(chart: ChartModel) -> dict[str, Any]:
    """The geometry of a bar or line chart model, for ``_chart.html``."""
    series = {s.name: s.values for s in chart.series}
    if chart.kind == "bar":
        return bar_chart(chart.labels, series, chart.unit, list(chart.ranges) or None, chart.title)
    return line_chart(chart.labels, series, chart.unit, chart.notes, chart.title, chart.size)


def _step(top: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that covers ``top`` in about ``ticks`` steps."""
    raw = max(top, 1e-9) / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return float(next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))


def _axis(top: float, ticks: int = 5) -> tuple[float, float]:
    step = _step(top, ticks)
    return step, max(step, math.ceil(top / step - 1e-9) * step)


def _fmt(value: float, unit: str) -> str:
    if unit == "$":
        return f"${value:,.2f}"
    if unit == "%":
        return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _tick(value: float, unit: str) -> str:
    if unit == "$":
        return f"${value:,.0f}" if value == int(value) else f"${value:,.2f}"
    return _fmt(value, unit)


def _short(text: str, limit: int = 36) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _r(value: float) -> float:
    return round(value, 1)


def _series_classes(count: int) -> list[str]:
    """One series is the main colour; with two, the first is the reference (grey) and the second yours."""
    return ["main"] if count == 1 else ["ref", "main", "third", "fourth"][:count]


def bar_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    unit: str = "$",
    ranges: Sequence[tuple[float, float] | None] | None = None,
    title: str = "",
) -> dict[str, Any]:
    """Horizontal grouped bars, one band per label (payer names stay readable, unrotated)."""
    width, label_width, value_room = 1240, 300, 80
    names = list(series)
    classes = _series_classes(len(names))
    head = 52 if len(names) > 1 or ranges else 30  # room for the legend, then the tick labels
    bar, gap = (12, 2) if len(names) > 1 else (16, 0)
    band = len(names) * (bar + gap) + 10
    values = [v for s in series.values() for v in s if v is not None]
    values += [hi for r in ranges or [] if r for hi in r]
    step, top = _axis(max(values, default=0) or 1)
    x0 = label_width + 12
    plot = width - x0 - value_room
    rows = []
    for index, label in enumerate(labels):
        y = head + index * band
        bars: list[dict[str, Any]] = []
        for position, name in enumerate(names):
            value = series[name][index]
            if value is None:
                continue
            length = plot * value / top
            bar_y = y + 6 + position * (bar + gap)
            bars.append(
                {
                    "x": x0,
                    "y": bar_y,
                    "w": _r(max(length, 1)),
                    "h": bar,
                    "cls": classes[position],
                    "text": _fmt(value, unit),
                    "tx": _r(x0 + length + 6),
                    "ty": bar_y + bar - 2,
                    "title": f"{label}, {name}: {_fmt(value, unit)}",
                }
            )
        whisker = None
        span = ranges[index] if ranges else None
        if span is not None:
            low, high = span
            whisker = {"x1": _r(x0 + plot * low / top), "x2": _r(x0 + plot * high / top), "y": _r(y + 6 + bar / 2)}
            if bars:
                bars[-1]["tx"] = max(bars[-1]["tx"], _r(whisker["x2"] + 6))
        rows.append(
            {"label": _short(label), "full": label, "y": _r(y + band / 2 + 4), "bars": bars, "whisker": whisker}
        )
    bottom = head + len(labels) * band + 8
    ticks = [
        {"x": _r(x0 + plot * (i * step) / top), "text": _tick(i * step, unit)} for i in range(round(top / step) + 1)
    ]
    legend = [{"name": name, "cls": classes[i], "x": x0 + i * 200} for i, name in enumerate(names)] if names else []
    return {
        "kind": "bars",
        "width": width,
        "height": bottom + 4,
        "x0": x0,
        "top": head - 8,
        "bottom": bottom,
        "rows": rows,
        "ticks": ticks,
        "legend": legend if len(names) > 1 or ranges else [],
        "range_legend": bool(ranges),
        "title": title,
        "empty": not values,
    }


def line_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    unit: str = "%",
    notes: Sequence[str] | None = None,
    title: str = "",
    size: tuple[int, int] = (1240, 320),
) -> dict[str, Any]:
    """Points joined by lines over periods; a period without data is a gap, never a zero."""
    names = list(series)
    (width, height), left, right, foot = size, 64, 40, 62
    head = 44 if len(names) > 1 else 28  # a legend only when there is more than one line
    classes = _series_classes(len(names))
    values = [v for s in series.values() for v in s if v is not None]
    step, top = _axis(max(values, default=0) or (10 if unit == "%" else 1), 5)
    if unit == "%":
        top = min(top, 100.0)
        step = min(step, top)
    plot_w, plot_h = width - left - right, height - head - foot
    count = len(labels)

    def x_of(i: int) -> float:
        return left + plot_w / 2 if count == 1 else left + 40 + (plot_w - 80) * i / (count - 1)

    def y_of(v: float) -> float:
        return head + plot_h * (1 - v / top)

    lines = []
    for position, name in enumerate(names):
        segments: list[list[tuple[float, float]]] = [[]]
        points = []
        for i, value in enumerate(series[name]):
            if value is None:
                segments.append([])
                continue
            point = (_r(x_of(i)), _r(y_of(value)))
            segments[-1].append(point)
            points.append(
                {"x": point[0], "y": point[1], "text": _fmt(value, unit), "title": f"{labels[i]}: {_fmt(value, unit)}"}
            )
        lines.append(
            {
                "cls": classes[position],
                "paths": [" ".join(f"{x:.1f},{y:.1f}" for x, y in seg) for seg in segments if len(seg) > 1],
                "points": points,
            }
        )
    ticks = [{"y": _r(y_of(i * step)), "text": _tick(i * step, unit)} for i in range(round(top / step) + 1)]
    return {
        "kind": "line",
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "base": head + plot_h,
        "ticks": ticks,
        "lines": lines,
        "xlabels": [
            {"x": _r(x_of(i)), "text": label, "note": (notes[i] if notes and i < len(notes) else "")}
            for i, label in enumerate(labels)
        ],
        "legend": [{"name": name, "cls": classes[i], "x": left + i * 200} for i, name in enumerate(names)]
        if len(names) > 1
        else [],
        "title": title,
        "empty": not values,
    }
