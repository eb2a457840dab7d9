"""Token usage on the dashboard: who a run counts against, and the Usage page's charts.

The built-in engine keeps the numbers (engine.usage); the dashboard names the person who
starts a run in a header only the engine's own connection receives (the engine trusts it only
with the dashboard's key)."""

from __future__ import annotations

from dataclasses import dataclass

PERSON_HEADER = "X-Studio-Person"  # engine.usage.PERSON_HEADER


def person_headers(connection, user) -> dict[str, str]:
    """Headers for a request that starts a run on `connection` for `user`."""
    if connection.is_builtin and getattr(user, "pk", None):
        return {PERSON_HEADER: str(user.pk)}
    return {}


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    """A bar chart drawn by the template as SVG: bars in a box of width by height."""

    title: str
    bars: list[Bar]
    maximum: int
    width: int = 640
    height: int = 180

    @property
    def ticks(self) -> list[tuple[float, str]]:
        return [(self.height - self.height * f, compact(self.maximum * f)) for f in (0.5, 1.0)]


def compact(tokens: float) -> str:
    """1234 → "1.2k", 3456789 → "3.5M": short enough for an axis."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if tokens >= size:
            return f"{tokens / size:.1f}".removesuffix(".0") + suffix
    return f"{tokens:.0f}"


def bar_chart(title: str, rows: list, *, width: int = 640, height: int = 180) -> Chart:
    """Bars of `rows` (objects with .label and .tokens), scaled to the largest."""
    maximum = max((row.tokens for row in rows), default=0) or 1
    step = width / max(1, len(rows))
    gap = min(4.0, step * 0.2)  # bars stay at least 80% of their slot
    bars = []
    for index, row in enumerate(rows):
        bar_height = height * row.tokens / maximum
        bar_width = min(step - gap, 96.0)  # a few categories: bars, not slabs
        x = index * step + (step - bar_width) / 2
        bars.append(Bar(row.label, row.tokens, x, height - bar_height, bar_width, bar_height))
    return Chart(title, bars, maximum, width, height)
