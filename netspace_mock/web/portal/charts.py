"""Bar charts as inline SVG, drawn on the server: no script, no external library."""

from __future__ import annotations

import math
from decimal import Decimal

from netspace_mock.web.portal.render import Html, join, tag

WIDTH, HEIGHT = 760, 250
LEFT, RIGHT, TOP, BOTTOM = 60, 12, 28, 34
Series = tuple[str, list[Decimal | int | float], str]  # name, one value per label, CSS class


def _step(span: float) -> float:
    """A round grid step that gives about four grid lines over the span."""
    raw = span / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if raw <= m * magnitude)


def _short(value: float) -> str:
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:g}{suffix}"
    return f"{value:g}"


def _legend(series: list[Series], width: int) -> Html:
    parts, x = [], width - RIGHT
    for name, _, css in reversed(series):
        x -= 24 + 7 * len(name)
        parts.append(tag("rect", "", x=x, y=8, width=10, height=10, rx=2, class_=f"bar {css}"))
        parts.append(tag("text", name, x=x + 14, y=17, class_="legend"))
    return join(parts)


def bars(labels: list[str], series: list[Series], *, title: str, unit: str = "", width: int = WIDTH) -> Html:
    """Grouped bars, one group per label; negative values hang below the zero line. `width` is that of
    the drawing: the wider, the smaller its text looks once scaled to the page."""
    values = [float(v) for _, vs, _ in series for v in vs] or [0.0]
    hi, lo = max(0.0, *values), min(0.0, *values)
    step = _step((hi - lo) or 1.0)
    hi, lo = math.ceil(hi / step) * step or step, math.floor(lo / step) * step
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(v: float) -> float:
        return round(TOP + (hi - v) / (hi - lo) * plot_h, 2)

    parts: list[Html] = []
    ticks = round((hi - lo) / step)
    for n in range(ticks + 1):
        v = lo + n * step
        parts.append(
            tag(
                "line",
                "",
                x1=LEFT,
                x2=width - RIGHT,
                y1=y(v),
                y2=y(v),
                class_="grid zero" if v == 0 else "grid",
            )
        )
        parts.append(tag("text", _short(v), x=LEFT - 8, y=y(v) + 4, class_="axis", text_anchor="end"))
    group = plot_w / max(1, len(labels))
    bar = group * 0.72 / max(1, len(series))
    every = max(1, math.ceil(len(labels) / 14))
    for i, label in enumerate(labels):
        x0 = LEFT + i * group + group * 0.14
        for j, (name, vs, css) in enumerate(series):
            v = float(vs[i])
            top, bottom = sorted((y(v), y(0)))
            tip = tag("title", f"{label} · {name}: {vs[i]} {unit}".strip())
            parts.append(
                tag(
                    "rect",
                    tip,
                    x=round(x0 + j * bar, 2),
                    y=top,
                    width=round(bar - 1, 2),
                    height=max(round(bottom - top, 2), 0.5 if v else 0),
                    rx=2,
                    class_=f"bar {css}",
                )
            )
        if i % every == 0:
            parts.append(
                tag(
                    "text",
                    label,
                    x=round(LEFT + (i + 0.5) * group, 2),
                    y=HEIGHT - 12,
                    class_="axis",
                    text_anchor="middle",
                )
            )
    return tag(
        "svg",
        tag("title", title) + join(parts) + _legend(series, width),
        viewBox=f"0 0 {width} {HEIGHT}",
        class_="chart",
        role="img",
        aria_label=title,
    )
