"""The dashboard's balance chart: daily closing balances re-derived from an account's
statement (opening balance plus every posted entry), drawn on the server as inline SVG.

No JavaScript and no style attributes (the Content-Security-Policy allows neither
inline): presentation attributes only. The SVG has a title and a description for screen
readers, and the page shows the same facts as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from markupsafe import Markup, escape

from ebank.application.statements import Statement, local_time

CHART_DAYS = 90
WIDTH = 640
HEIGHT = 220
LEFT = 124  # room for the amount labels
RIGHT = 12
TOP = 14
BOTTOM = 40  # room for the date labels


@dataclass(frozen=True, slots=True)
class DailyBalances:
    first_day: date
    closing_minor: list[int]  # one per day from first_day, the balance at the day's end

    @property
    def lowest(self) -> int:
        return min(self.closing_minor)

    @property
    def highest(self) -> int:
        return max(self.closing_minor)

    def day(self, index: int) -> date:
        return self.first_day + timedelta(days=index)


def daily_closing(built: Statement, tz: tzinfo) -> DailyBalances:
    """The balance at the end of every day of the statement's period (in ``tz``)."""
    days = (built.last_day - built.first_day).days + 1
    closing = []
    balance = built.opening_minor
    lines = iter(built.lines)
    pending = next(lines, None)
    for i in range(days):
        day = built.first_day + timedelta(days=i)
        while pending is not None and local_time(pending.at_us, tz).date() <= day:
            balance = pending.balance_minor
            pending = next(lines, None)
        closing.append(balance)
    return DailyBalances(built.first_day, closing)


def _y(value: int, low: int, high: int) -> float:
    span = high - low or 1
    return round(TOP + (HEIGHT - TOP - BOTTOM) * (high - value) / span, 1)


def _x(index: int, count: int) -> float:
    return round(LEFT + (WIDTH - LEFT - RIGHT) * index / max(count - 1, 1), 1)


def balance_svg(
    series: DailyBalances,
    *,
    chart_id: str,
    title: str,
    description: str,
    money: list[str],
    dates: list[str],
) -> Markup:
    """The chart as SVG markup. ``money`` is the lowest and highest balance as text and
    ``dates`` the first, middle and last day as text (formatted by the caller, in the
    visitor's language)."""
    values = series.closing_minor
    low, high = series.lowest, series.highest
    if low == high:  # a flat line sits in the middle
        low, high = low - 1, high + 1
    points = " ".join(f"{_x(i, len(values))},{_y(v, low, high)}" for i, v in enumerate(values))
    bottom = HEIGHT - BOTTOM
    middle = len(values) // 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-labelledby="{chart_id}-t {chart_id}-d" focusable="false">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(description)}</desc>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="#7b8494"/>',
        f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" stroke="#7b8494"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="17"'
        f' fill="#4a5260">{escape(money[1])}</text>',
        f'<text x="{LEFT - 6}" y="{bottom}" text-anchor="end" font-size="17"'
        f' fill="#4a5260">{escape(money[0])}</text>',
    ]
    for index, label, anchor in (
        (0, dates[0], "start"),
        (middle, dates[1], "middle"),
        (len(values) - 1, dates[2], "end"),
    ):
        parts.append(
            f'<text x="{_x(index, len(values))}" y="{HEIGHT - 10}" text-anchor="{anchor}"'
            f' font-size="17" fill="#4a5260">{escape(label)}</text>'
        )
    parts.append(
        f'<polyline points="{points}" fill="none" stroke="#8a1c1c" stroke-width="2"'
        ' stroke-linejoin="round"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above
