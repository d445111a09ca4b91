"""Charts drawn on the server as SVG: no JavaScript, no CDN, readable at phone size."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

COLORS = ["#0b6bcb", "#e07b00", "#1f9d55", "#b3261e", "#7a4cc2"]


def nice_ticks(high: float, *, most: int = 5) -> list[float]:
    """Axis ticks from 0 to at least `high` in steps of 1, 2 or 5 × 10^k, at most `most`
    intervals (0, 2, 4, 6, 8, 10 — never 0, 2, 4, 7, 9)."""
    if high <= 0:
        return [0, 1]
    rough = high / most
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough - 1e-12)
    count = math.ceil(high / step - 1e-9)
    return [round(step * n, 10) for n in range(count + 1)]


def _scale(value: float, low: float, high: float, size: float) -> float:
    return size * (value - low) / (high - low) if high > low else 0.0


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    low: float = 0,
    high: float = 100,
    unit: str = "%",
    width: int = 560,
    height: int = 220,
) -> str:
    """Lines over shared x labels (gaps where a value is None), with a legend and y grid."""
    left, right, top, bottom = 40, 22, 22, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(labels) - 1, 1)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" class="chart" xmlns="http://www.w3.org/2000/svg">'
    ]
    for level in (low + tick for tick in nice_ticks(high - low)):
        y = top + plot_h - _scale(level, low, high, plot_h)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e7ee"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#5b6877">{level:g}{unit}</text>'
        )
    every = max(1, len(labels) // 8)
    for n, label in enumerate(labels):
        if n % every == 0 or n == len(labels) - 1:
            x = left + step * n
            parts.append(
                f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" font-size="11" fill="#5b6877">{escape(label)}</text>'
            )
    for index, (name, values) in enumerate(series):
        color = COLORS[index % len(COLORS)]
        run: list[str] = []
        for n, value in enumerate(values):
            if value is None:
                if len(run) > 1:
                    parts.append(
                        f'<polyline fill="none" stroke="{color}" stroke-width="2.5" points="{" ".join(run)}"/>'
                    )
                run = []
                continue
            x, y = left + step * n, top + plot_h - _scale(value, low, high, plot_h)
            run.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{escape(name)} {escape(labels[n])}: {value:g}{unit}</title></circle>'
            )
        if len(run) > 1:
            parts.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="2.5" points="{" ".join(run)}"/>'
            )
        lx = left + index * 150
        parts.append(f'<rect x="{lx}" y="4" width="10" height="10" fill="{color}"/>')
        parts.append(
            f'<text x="{lx + 14}" y="13" font-size="12" fill="#1d2733">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    width: int = 560,
    height: int = 220,
) -> str:
    """Stacked bars per x label (for example jobs per week, split by state)."""
    left, right, top, bottom = 40, 22, 22, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[n] for _, values in series) for n in range(len(labels))]
    ticks = nice_ticks(max([*totals, 1]))
    high = ticks[-1]
    slot = plot_w / max(len(labels), 1)
    bar = max(slot * 0.7, 2)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" class="chart" xmlns="http://www.w3.org/2000/svg">'
    ]
    for value in ticks:
        y = top + plot_h - _scale(value, 0, high, plot_h)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e7ee"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#5b6877">{value:g}</text>'
        )
    every = max(1, len(labels) // 8)
    for n, label in enumerate(labels):
        x = left + slot * n + (slot - bar) / 2
        base = float(top + plot_h)
        for index, (name, values) in enumerate(series):
            h = _scale(values[n], 0, high, plot_h)
            base -= h
            if h > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{COLORS[index % len(COLORS)]}"><title>{escape(name)} {escape(label)}: {values[n]}</title></rect>'
                )
        if n % every == 0 or n == len(labels) - 1:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="11" fill="#5b6877">{escape(label)}</text>'
            )
    for index, (name, _) in enumerate(series):
        lx = left + index * 150
        parts.append(
            f'<rect x="{lx}" y="4" width="10" height="10" fill="{COLORS[index % len(COLORS)]}"/>'
        )
        parts.append(
            f'<text x="{lx + 14}" y="13" font-size="12" fill="#1d2733">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
