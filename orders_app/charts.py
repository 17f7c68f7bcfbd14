"""Geometry for the insights' charts, drawn as SVG by templates/orders_app/insights.html.

No JavaScript charting: the numbers become rectangles here, in a fixed viewBox, so a chart is
plain markup that works under the strict CSP, offline, printed and in every browser. Every
mark carries its number as text next to it (direct labels: colour is never the only cue), and
the template puts a table of the same numbers beneath each chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Round steps for a time axis, in seconds: 10 s … 2 h.
DURATION_STEPS = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)


def _nice_max(value: float) -> float:
    """A round top for an axis (1, 2, 2.5, 5 × 10^n) at or above ``value``."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 0.1
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover


def _short(value: float) -> str:
    """A count or average as a bar's label: 12, 3.5, 0.3."""
    if value == int(value):
        return str(int(value))
    return f"{value:.1f}" if value < 10 else str(round(value))


@dataclass(frozen=True)
class Column:
    key: str
    axis_label: str  # under the column ("" to skip)
    x: float
    y: float
    width: float
    height: float
    text: str  # the value, above the column
    text_y: float
    href: str
    baseline_y: float | None  # the comparison's mark, when there is one
    baseline_text: str

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 2)

    @property
    def x_end(self) -> float:
        return round(self.x + self.width, 2)


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    plot_top: float
    plot_bottom: float
    left: float
    right: float
    columns: tuple[Column, ...]
    gridlines: tuple[tuple[float, str], ...]  # (y, label)


def column_chart(
    values: Sequence[tuple[str, str, float, float | None, str]],
    *,
    width: int = 960,
    height: int = 250,
) -> ColumnChart:
    """Columns for (key, axis label, value, baseline or None, link) in order."""
    left, right, top, bottom = 34.0, width - 8.0, 22.0, height - 26.0
    top_value = _nice_max(max([v for _, _, v, _, _ in values] + [b or 0 for *_, b, _ in values]))
    slot = (right - left) / max(len(values), 1)
    gap = min(6.0, slot * 0.2)

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * (value / top_value)

    columns = []
    for n, (key, label, value, baseline, href) in enumerate(values):
        y = y_of(value)
        columns.append(
            Column(
                key=key,
                axis_label=label,
                x=round(left + n * slot + gap / 2, 2),
                y=round(y, 2),
                width=round(slot - gap, 2),
                height=round(bottom - y, 2),
                text=_short(value) if value else "",
                text_y=round(y - 4, 2),
                href=href,
                baseline_y=round(y_of(baseline), 2) if baseline is not None else None,
                baseline_text=_short(baseline) if baseline is not None else "",
            )
        )
    gridlines = tuple(
        (round(y_of(top_value * share), 2), _short(top_value * share)) for share in (0, 0.5, 1)
    )
    return ColumnChart(width, height, top, bottom, left, right, tuple(columns), gridlines)


@dataclass(frozen=True)
class BarRow:
    label: str
    value_text: str
    y: float
    width: float  # of the plot area, in viewBox units
    href: str
    height: float = 26.0
    x: float = 170.0  # where the bar starts (after the label)

    @property
    def mid(self) -> float:
        return round(self.y + self.height / 2, 2)

    @property
    def bar_height(self) -> float:
        return round(self.height - 8, 2)

    @property
    def bar_y(self) -> float:
        return round(self.y + 4, 2)

    @property
    def end(self) -> float:
        return round(self.x + self.width, 2)


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: float
    plot_width: float
    row_height: float
    rows: tuple[BarRow, ...]


def bar_chart(
    rows: Sequence[tuple[str, float, str, str]], *, width: int = 560, row_height: float = 26.0
) -> BarChart:
    """Horizontal bars for (label, value, value text, link), biggest first as given."""
    label_width = 170.0
    plot_width = width - label_width - 110.0
    top = max([value for _, value, _, _ in rows], default=0) or 1
    bars = tuple(
        BarRow(
            label=label,
            value_text=text,
            y=round(n * row_height, 2),
            width=round(max(plot_width * value / top, 1.5 if value else 0), 2),
            href=href,
            height=row_height,
            x=label_width,
        )
        for n, (label, value, text, href) in enumerate(rows)
    )
    return BarChart(
        width=width,
        height=int(max(len(rows), 1) * row_height),
        label_width=label_width,
        plot_width=plot_width,
        row_height=row_height,
        rows=bars,
    )


@dataclass(frozen=True)
class BoxRow:
    label: str
    y: float
    whisker: tuple[float, float]  # p10, p90 x
    box: tuple[float, float]  # p25, p75 x
    median: float  # x
    text: str  # "median 1 min 5 s · p90 4 min"
    href: str
    height: float = 24.0

    @property
    def mid(self) -> float:
        return round(self.y + self.height / 2, 2)

    @property
    def bottom(self) -> float:
        return round(self.y + self.height, 2)

    @property
    def box_width(self) -> float:
        return round(max(self.box[1] - self.box[0], 1.5), 2)


@dataclass(frozen=True)
class BoxChart:
    width: int
    height: int
    label_width: float
    plot_width: float
    row_height: float
    rows: tuple[BoxRow, ...]
    ticks: tuple[tuple[float, float], ...]  # (x, seconds)
    threshold_x: float | None  # the late line

    @property
    def text_x(self) -> float:
        return round(self.label_width + self.plot_width + 10, 2)


def box_chart(
    rows: Sequence[tuple[str, tuple[float, float, float, float, float], str, str]],
    *,
    threshold: float | None = None,
    width: int = 960,
    row_height: float = 34.0,
) -> BoxChart:
    """One box per row: (label, (p10, p25, median, p75, p90) seconds, text, link)."""
    label_width, text_width = 150.0, 270.0
    plot_width = width - label_width - text_width
    longest = max([box[4] for _, box, _, _ in rows] + [threshold or 0])
    step = next((s for s in DURATION_STEPS if s * 4 >= longest), DURATION_STEPS[-1])
    top = max(step * math.ceil(longest / step), step)

    def x_of(seconds: float) -> float:
        return round(label_width + plot_width * min(seconds / top, 1.0), 2)

    boxes = tuple(
        BoxRow(
            label=label,
            y=round(18 + n * row_height, 2),
            whisker=(x_of(box[0]), x_of(box[4])),
            box=(x_of(box[1]), x_of(box[3])),
            median=x_of(box[2]),
            text=text,
            href=href,
            height=row_height - 10,
        )
        for n, (label, box, text, href) in enumerate(rows)
    )
    ticks = tuple((x_of(step * n), step * n) for n in range(int(top // step) + 1))
    return BoxChart(
        width=width,
        height=int(18 + max(len(rows), 1) * row_height),
        label_width=label_width,
        plot_width=plot_width,
        row_height=row_height,
        rows=boxes,
        ticks=ticks,
        threshold_x=x_of(threshold) if threshold else None,
    )


@dataclass(frozen=True)
class HeatCell:
    x: float
    y: float
    count: int
    level: int
    href: str
    size: float = 30.0

    @property
    def inner(self) -> float:
        return self.size - 2

    @property
    def text_x(self) -> float:
        return round(self.x + (self.size - 2) / 2, 2)

    @property
    def text_y(self) -> float:
        return round(self.y + (self.size - 2) / 2, 2)


@dataclass(frozen=True)
class HeatRow:
    label: str
    y: float
    cells: tuple[HeatCell, ...]

    @property
    def mid(self) -> float:
        return round(self.y + (self.cells[0].size - 2) / 2 if self.cells else self.y, 2)


@dataclass(frozen=True)
class Heatmap:
    width: int
    height: int
    cell: float
    left: float
    rows: tuple[HeatRow, ...]
    hours: tuple[tuple[float, int], ...]  # (x, hour) every 3 hours


def heatmap(
    rows: Sequence[tuple[str, Sequence[tuple[int, int, str]]]], *, cell: float = 30.0
) -> Heatmap:
    """A grid: (row label, [(count, level 0–5, link) × 24 hours]) per weekday."""
    left, top = 44.0, 16.0
    grid = tuple(
        HeatRow(
            label=label,
            y=round(top + r * cell, 2),
            cells=tuple(
                HeatCell(
                    x=round(left + h * cell, 2),
                    y=round(top + r * cell, 2),
                    count=count,
                    level=level,
                    href=href,
                    size=cell,
                )
                for h, (count, level, href) in enumerate(cells)
            ),
        )
        for r, (label, cells) in enumerate(rows)
    )
    return Heatmap(
        width=int(left + 24 * cell + 4),
        height=int(top + len(rows) * cell + 4),
        cell=cell,
        left=left,
        rows=grid,
        hours=tuple((round(left + h * cell + cell / 2, 2), h) for h in range(0, 24, 3)),
    )
