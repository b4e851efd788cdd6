"""The geometry of the report's charts, and the SVG markup of their marks (the bars, the cells
of the grid, their labels); each chart's frame is in templates/vse_referrals/statistics/.

The marks are written here with `format_html` rather than in a template loop: a grid of countries
has hundreds of cells, and a template resolves and localises each of their numbers one by one (a
decimal comma would also break the SVG's coordinates, written here as Python writes numbers).

Each chart draws the numbers of one table, as its page shows them: a hidden cell draws no bar
and is labelled with a dash (a small count: "<5"). Sizes are in the SVG's own units; the charts
are drawn 360 units wide, the narrowest phone they must be read on, and scale up from there.
"""

from dataclasses import dataclass, field

from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join

from .suppression import PRIMARY

WIDTH = 360
SERIES_CLASSES = ("vse-chart__bar--first", "vse-chart__bar--second")


COLUMN_MARK = (
    '<g><title>{title}</title><rect class="vse-chart__bar vse-chart__bar--first" x="{x}" y="{y}" '
    'width="{width}" height="{height}"></rect><text class="vse-chart__value" x="{middle}" y="{label_y}" '
    'text-anchor="middle">{text}</text>{axis}</g>'
)
AXIS_LABEL = '<text class="vse-chart__axis" x="{}" y="{}" text-anchor="middle">{}</text>'
BAR_MARK = (
    '<g><title>{title}</title><rect class="vse-chart__bar {class}" x="{x}" y="{y}" width="{width}" '
    'height="{height}"></rect><text class="vse-chart__value" x="{label_x}" y="{label_y}">{text}</text></g>'
)
ROW_LABEL = '<text class="vse-chart__label" x="{x}" y="{y}" text-anchor="end"><title>{title}</title>{text}</text>'
COLUMN_LABEL = '<text class="vse-chart__label" x="{x}" y="30" text-anchor="middle"><title>{title}</title>{text}</text>'
CELL_MARK = (
    '<g><title>{title}</title><rect class="{class}" x="{x}" y="{y}" width="{size}" height="{size}"></rect>'
    '{shade}<text class="{text_class}" x="{middle_x}" y="{middle_y}" text-anchor="middle">{text}</text></g>'
)
CELL_SHADE = (
    '<rect class="vse-chart__bar vse-chart__bar--first" x="{}" y="{}" width="{}" height="{}" fill-opacity="{}"></rect>'
)


@dataclass
class Chart:
    template: str
    height: int
    items: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    width: int = WIDTH
    mark: str = ""  # the markup of one item
    label_mark: str = ROW_LABEL

    def marks(self):
        return format_html_join("", self.mark, self.items)

    def label_marks(self):
        return format_html_join("", self.label_mark, ({"x": self.label_x, **label} for label in self.labels))


def short_text(cell, threshold):
    if cell.shown:
        return number_format(round(cell.value, 1) if isinstance(cell.value, float) else cell.value)
    return f"<{threshold}" if cell.hidden == PRIMARY else "–"


def _scale(cells):
    return max([cell.value for cell in cells if cell.shown] + [1])


def columns(table, column, threshold, height=140):
    """Vertical bars of one column of a table by month (the total row left out)."""
    cells = [row.cells[column] for row in table.rows]
    top, bottom = 14, 18
    slot = WIDTH / max(len(cells), 1)
    every = -(-len(cells) // 12)  # at most 12 month labels
    biggest = _scale(cells)
    chart = Chart("vse_referrals/statistics/column_chart.html", height, mark=COLUMN_MARK)
    for index, (row, cell) in enumerate(zip(table.rows, cells, strict=True)):
        bar = (height - top - bottom) * cell.value / biggest if cell.shown else 0
        x = index * slot
        chart.items.append(
            {
                "x": round(x + slot * 0.15, 1),
                "width": round(slot * 0.7, 1),
                "y": round(height - bottom - bar, 1),
                "height": round(bar, 1),
                "middle": round(x + slot / 2, 1),
                "label_y": round(height - bottom - bar - 3, 1),
                "text": short_text(cell, threshold),
                "title": f"{row.label}: {cell.text(threshold)}",
                "axis": (
                    format_html(AXIS_LABEL, round(x + slot / 2, 1), height - 4, date_format(row.key, "M"))
                    if index % every == 0
                    else ""
                ),
            }
        )
    chart.baseline_y = height - bottom
    return chart


def bars(table, keys, threshold, row_height=18, label_width=130):
    """Horizontal bars of each row for the columns `keys` (at most two series, each on its own
    scale: an organisation's figures beside the network's)."""
    series = len(keys)
    group = row_height * series + 8
    rows = table.rows
    chart = Chart("vse_referrals/statistics/bar_chart.html", group * len(rows) + 4, mark=BAR_MARK)
    room = WIDTH - label_width - 44
    scales = {key: _scale([row.cells[key] for row in rows]) for key in keys}
    for index, row in enumerate(rows):
        y = index * group + 4
        chart.labels.append({"y": y + group / 2 - 2, "text": _shorten(row.label), "title": row.label})
        for number, key in enumerate(keys):
            cell = row.cells[key]
            length = room * cell.value / scales[key] if cell.shown else 0
            chart.items.append(
                {
                    "x": label_width,
                    "y": y + number * row_height,
                    "width": round(length, 1),
                    "height": row_height - 4,
                    "class": SERIES_CLASSES[number],
                    "label_x": round(label_width + length + 4, 1),
                    "label_y": y + number * row_height + row_height - 8,
                    "text": short_text(cell, threshold),
                    "title": f"{row.label}, {dict(table.columns)[key]}: {cell.text(threshold)}",
                }
            )
    chart.label_x = label_width - 6
    return chart


def heatmap(table, threshold, cell_size=34, margin=40):
    """The flow matrix as a grid: rows sending, columns receiving countries, darker for more."""
    codes = [key for key, _label in table.columns if key != table.total_column]
    names = dict(table.columns)
    cells = [row.cells[code] for row in table.rows for code in codes]
    biggest = _scale(cells)
    width = max(WIDTH, margin + cell_size * len(codes) + 4)
    chart = Chart(
        "vse_referrals/statistics/heatmap.html", margin + cell_size * len(table.rows) + 4, width=width, mark=CELL_MARK
    )
    chart.columns = [
        {"x": margin + index * cell_size + cell_size / 2, "text": code, "title": names[code]}
        for index, code in enumerate(codes)
    ]
    for row_index, row in enumerate(table.rows):
        y = margin + row_index * cell_size
        chart.labels.append({"y": y + cell_size / 2 + 4, "text": row.key, "title": row.label})
        for column_index, code in enumerate(codes):
            cell = row.cells[code]
            share = cell.value / biggest if cell.shown else 0
            x, size = margin + column_index * cell_size, cell_size - 2
            opacity = round(0.08 + 0.92 * share, 2) if cell.shown and cell.value else 0
            chart.items.append(
                {
                    "x": x,
                    "y": y,
                    "size": size,
                    "middle_x": x + size / 2,
                    "middle_y": y + cell_size / 2 + 3,
                    "class": "vse-chart__cell vse-chart__cell--hidden" if cell.hidden else "vse-chart__cell",
                    "shade": format_html(CELL_SHADE, x, y, size, size, opacity) if opacity else "",
                    "text_class": "vse-chart__value vse-chart__value--on-dark" if share > 0.5 else "vse-chart__value",
                    "text": short_text(cell, threshold) if (cell.value or cell.hidden) else "",
                    "title": f"{row.label} → {names[code]}: {cell.text(threshold)}",
                }
            )
    chart.label_x = margin - 6
    chart.column_marks = format_html_join("", COLUMN_LABEL, chart.columns)
    return chart


def _shorten(text, length=20):
    return text if len(text) <= length else text[: length - 1] + "…"
