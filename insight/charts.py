"""Small server-side SVG charts (no script, no CDN): horizontal bars that stay readable on a phone.

Each label sits on its own line above its bar, so the bar can use the whole width of a narrow screen. The SVG is
decorative for screen readers (aria-hidden): every chart on the page has the same numbers as a table beside it.
"""

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 340
ROW = 38
BAR = 14
FONT = 13


def bars(rows: Sequence[tuple[str, float, str]], *, title: str, color: str = "#2a6fb0") -> SafeString:
    """rows: (label, value 0..1 of the bar's full length, text after the label). Returns an <svg> element."""
    height = ROW * len(rows) + 6
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-hidden="true" '
        f'focusable="false" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for index, (label, value, text) in enumerate(rows):
        y = index * ROW
        length = max(0.0, min(1.0, value)) * WIDTH
        parts.append(
            f'<text x="0" y="{y + FONT + 2}" font-size="{FONT}" fill="#222">{escape(label)} '
            f'<tspan font-weight="bold">{escape(text)}</tspan></text>'
            f'<rect x="0" y="{y + FONT + 7}" width="{WIDTH}" height="{BAR}" fill="#e6e9ee" rx="2"/>'
            f'<rect x="0" y="{y + FONT + 7}" width="{length:.1f}" height="{BAR}" fill="{color}" rx="2"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)


def histogram(bins: Sequence[tuple[str, int]], *, title: str, color: str = "#2a6fb0") -> SafeString:
    """A histogram as horizontal bars, the longest bar being the largest count."""
    top = max((count for _, count in bins), default=0) or 1
    total = sum(count for _, count in bins) or 1
    rows = [(label, count / top, f"{count} ({count / total:.0%})") for label, count in bins]
    return bars(rows, title=title, color=color)


def pass_rates(tests: Sequence[tuple[str, int, int]], *, title: str) -> SafeString:
    """tests: (name, passed, ran): one bar per test, its length the pass rate."""
    rows = [
        (name, passed / ran if ran else 0.0, f"{passed / ran:.0%} ({passed}/{ran})" if ran else "not run")
        for name, passed, ran in tests
    ]
    return bars(rows, title=title, color="#2e8540")
