"""Bar charts drawn on the server as inline SVG: no script, nothing fetched.

The egress pages run under a strict Content-Security-Policy (no scripts, no inline
``style`` attributes): a chart is plain SVG elements with presentation attributes
(``fill``, ``x``, ``width``), which the policy does not govern. Each chart is an image with
a name and a description (``role="img"``, ``<title>``, ``<desc>``) for screen readers; the
page puts a table of the same numbers under it, which is the figures' text alternative.
Each bar carries its label and value as ``data-`` attributes, so a test can hold the drawing
to the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

LABEL_WIDTH = 300  # room for a label of LABEL_CHARACTERS characters at FONT_SIZE
BAR_WIDTH = 300  # the longest bar
VALUE_WIDTH = 80
ROW_HEIGHT = 26
BAR_HEIGHT = 18
FONT_SIZE = 13
LABEL_CHARACTERS = 42
# Bootstrap's body text and primary blue: the text meets WCAG AA contrast on white.
TEXT_COLOUR = "#212529"
BAR_COLOUR = "#0d6efd"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str = ""  # the value as the page writes it ("12", "3.5 h"); the number if empty

    @property
    def text(self) -> str:
        return self.shown or _number(self.value)


def bar_chart(chart_id: str, title: str, description: str, bars: Sequence[Bar]) -> Markup:
    """A horizontal bar chart, one row per bar in the order given, bars scaled to the largest."""
    largest = max((bar.value for bar in bars), default=0) or 1
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = ROW_HEIGHT * max(1, len(bars))
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    rows = []
    for n, bar in enumerate(bars):
        top = n * ROW_HEIGHT
        length = round(BAR_WIDTH * max(bar.value, 0) / largest, 1)
        baseline = top + (ROW_HEIGHT + FONT_SIZE) // 2 - 2
        label = bar.label if len(bar.label) <= LABEL_CHARACTERS else bar.label[:LABEL_CHARACTERS - 1] + "…"
        rows.append(
            f'<g class="haven-bar" data-label="{escape(bar.label)}" data-value="{escape(_number(bar.value))}">'
            f'<text x="{LABEL_WIDTH - 8}" y="{baseline}" text-anchor="end" font-size="{FONT_SIZE}" '
            f'fill="{TEXT_COLOUR}">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{top + (ROW_HEIGHT - BAR_HEIGHT) // 2}" width="{length}" '
            f'height="{BAR_HEIGHT}" fill="{BAR_COLOUR}"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{baseline}" font-size="{FONT_SIZE}" '
            f'fill="{TEXT_COLOUR}">{escape(bar.text)}</text></g>')
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="haven-chart" role="img" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" font-family="system-ui, sans-serif">'
        f'<title id="{escape(title_id)}">{escape(title)}</title>'
        f'<desc id="{escape(desc_id)}">{escape(description)}</desc>'
        + "".join(rows) + "</svg>")


def _number(value: float) -> str:
    """Whole numbers without a decimal point, others to one place."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
