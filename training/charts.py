"""Charts drawn on the server as SVG, so they need no JavaScript and work under
a strict Content-Security-Policy. Every chart is paired with a table of the
same numbers in the template; the SVG carries a title for screen readers."""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from .models import FollowUp, Rating

RATING_COLOURS = {
    Rating.EXCELLENT: "#0b4f2e",
    Rating.GOOD: "#2e7d32",
    Rating.AVERAGE: "#7a6100",
    Rating.POOR: "#b35900",
    Rating.VERY_POOR: "#a4161a",
}
SERIES_COLOURS = ("#3d1f6b", "#8c6bb1")
LABEL_WIDTH = 230
BAR_AREA = 340
ROW_HEIGHT = 26


@dataclass(frozen=True)
class Series:
    name: str
    colour: str


def _svg(title: str, height: int, body: list[str]) -> SafeString:
    width = LABEL_WIDTH + BAR_AREA + 60
    chart_id = f"chart-{slugify(title)}"
    return mark_safe(  # noqa: S308 - every interpolated label is escaped below  # nosec B308, B703
        f'<svg class="training-chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{chart_id}">{escape(title)}</title>'
        f"{''.join(body)}</svg>"
    )


INK = "#0b0c0c"


def _text(x: float, y: float, text, *, size: int = 12, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{INK}">{escape(text)}</text>'


def _rect(x: float, y: float, width: float, height: float, colour: str, tooltip: str = "") -> str:
    inner = f"<title>{escape(tooltip)}</title>" if tooltip else ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{colour}" '
        f'stroke="#ffffff" stroke-width="1">{inner}</rect>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, colour: str, width: int = 1) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" stroke-width="{width}"/>'


def _dot(x: float, y: float, colour: str, tooltip: str) -> str:
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}"><title>{escape(tooltip)}</title></circle>'


def _label(y: int, text: str) -> str:
    short = text if len(text) <= 30 else text[:29] + "…"
    return _text(LABEL_WIDTH - 8, y + 17, short, anchor="end")


def _legend(y: int, items: list[tuple[str, str]]) -> list[str]:
    parts, x = [], LABEL_WIDTH
    for name, colour in items:
        parts.append(_rect(x, y, 12, 12, colour))
        parts.append(_text(x + 16, y + 11, name))
        x += 26 + 8 * len(name)
    return parts


def stacked_percent_chart(title: str, rows: list[tuple[str, list[tuple[str, str, int]]]]) -> SafeString:
    """One 100% bar per row; segments are (name, colour, value)."""
    body = _legend(4, [(label, RATING_COLOURS[value]) for value, label in Rating.choices])
    y = 26
    for label, segments in rows:
        body.append(_label(y, label))
        total = sum(v for _, _, v in segments)
        x = float(LABEL_WIDTH)
        for name, colour, value in segments:
            if not total or not value:
                continue
            width = BAR_AREA * value / total
            body.append(_rect(x, y + 3, width, ROW_HEIGHT - 8, colour, f"{name}: {value}"))
            x += width
        body.append(_text(LABEL_WIDTH + BAR_AREA + 6, y + 17, f"n={total}"))
        y += ROW_HEIGHT
    return _svg(title, y + 6, body)


def grouped_bar_chart(title: str, series: list[Series], rows: list[tuple[str, list[int]]]) -> SafeString:
    """Bars side by side for each row, one per series, on a shared scale."""
    peak = max([v for _, values in rows for v in values] + [1])
    body = _legend(4, [(s.name, s.colour) for s in series])
    y = 26
    bar = (ROW_HEIGHT - 6) // max(1, len(series))
    for label, values in rows:
        body.append(_label(y, label))
        for i, (item, value) in enumerate(zip(series, values, strict=True)):
            width = BAR_AREA * value / peak
            top = y + 3 + i * bar
            body.append(_rect(LABEL_WIDTH, top, width, bar - 1, item.colour, f"{item.name}: {value}"))
            body.append(_text(LABEL_WIDTH + width + 4, top + bar - 2, value, size=11))
        y += ROW_HEIGHT
    return _svg(title, y + 6, body)


def before_after_chart(title: str, rows: list[tuple[str, float | None, float | None]]) -> SafeString:
    """Mean confidence before and after on the 1 to 5 scale, joined by a line."""

    def x(score: float) -> float:
        return LABEL_WIDTH + BAR_AREA * (score - 1) / 4

    bottom = 26 + ROW_HEIGHT * len(rows)
    body = _legend(4, [("Before", SERIES_COLOURS[1]), ("After", SERIES_COLOURS[0])])
    for tick in range(1, 6):
        body.append(_line(x(tick), 22, x(tick), bottom, "#bbbbbb"))
        body.append(_text(x(tick), bottom + 14, tick, size=11, anchor="middle"))
    y = 26
    for label, before, after in rows:
        body.append(_label(y, label))
        if before is not None and after is not None:
            middle = y + ROW_HEIGHT // 2
            body.append(_line(x(before), middle, x(after), middle, INK, 2))
            body.append(_dot(x(before), middle, SERIES_COLOURS[1], f"Before: {before:.2f}"))
            body.append(_dot(x(after), middle, SERIES_COLOURS[0], f"After: {after:.2f}"))
        y += ROW_HEIGHT
    return _svg(title, y + 24, body)


def dashboard_charts(data: dict) -> dict[str, SafeString]:
    def rating_rows(distributions):
        return [
            (d.label, [(label, RATING_COLOURS[value], n) for value, label, n in d.ordered()]) for d in distributions
        ]

    waves = data["followups"]
    areas = FollowUp.PolicyArea.choices
    return {
        "by_course": stacked_percent_chart("Ratings by course", rating_rows(data["by_course"])),
        "by_session": stacked_percent_chart(
            "Ratings by session", rating_rows([d for _, d in data["by_session"] if d.responses])
        ),
        "turnout": grouped_bar_chart(
            "Registered and attended, by council",
            [Series("Registered", SERIES_COLOURS[1]), Series("Attended", SERIES_COLOURS[0])],
            [(t.council, [t.registered, t.attended]) for t in data["turnout"]],
        ),
        "areas": grouped_bar_chart(
            "Policies or decisions influenced, by service area",
            [Series(f"At {w.wave_label}", colour) for w, colour in zip(waves, SERIES_COLOURS, strict=True)],
            [(label, [w.by_area[value] for w in waves]) for value, label in areas],
        ),
        "confidence": before_after_chart(
            "Mean confidence before and after the training", [(c.label, c.before, c.after) for c in data["confidence"]]
        ),
    }


def tile_grid(rows) -> dict:
    """Grid size for the coverage tile map; tiles are placed by CSS classes."""
    cols = max([r.council.grid_col for r in rows] + [1])
    height = max([r.council.grid_row for r in rows] + [1])
    return {"cols": cols, "rows": height}
