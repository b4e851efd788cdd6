"""Small-cell suppression: no count under the threshold is shown, and none can be worked out.

Primary: a count from 1 to threshold - 1 is shown (and exported) as "fewer than N"; a median,
percentile or share computed over fewer than N referrals is not shown. Secondary: a table with
totals states equations (a row or a column adds up to its total); one with exactly one hidden
count would give it away by subtraction, so the smallest other positive count of that line is
hidden too, again until no line has exactly one (the iterative method of statistical offices).
"""

from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.translation import gettext

COUNT, HOURS, PERCENT = "count", "hours", "percent"
PRIMARY, SECONDARY, TOO_FEW = "primary", "secondary", "too-few"


@dataclass
class Cell:
    value: float | int | None
    kind: str = COUNT
    hidden: str = ""  # PRIMARY, SECONDARY or TOO_FEW once suppressed

    @property
    def shown(self):
        return not self.hidden and self.value is not None

    def text(self, threshold):
        """What a page and an export show: the number, or why it is not shown."""
        if self.hidden == PRIMARY:
            return gettext("fewer than %(threshold)s") % {"threshold": threshold}
        if self.hidden == SECONDARY:
            return gettext("hidden (would reveal a small count)")
        if self.hidden == TOO_FEW:
            return gettext("not shown (fewer than %(threshold)s referrals)") % {"threshold": threshold}
        if self.value is None:
            return "-"
        if self.kind == HOURS:
            return number_format(self.value, 1)
        if self.kind == PERCENT:
            return f"{number_format(self.value, 0)} %"
        return number_format(self.value)

    def export_value(self, threshold):
        """A number where one is shown, else the same words as the page."""
        if self.shown:
            return round(self.value, 1) if self.kind != COUNT else self.value
        return self.text(threshold)


@dataclass
class Row:
    label: str
    cells: dict  # column key: Cell
    key: object = None  # what the row is about (a month, a code), for charts


@dataclass
class Table:
    key: str  # names the table in its export's address
    title: str
    row_heading: str
    columns: list  # (key, label)
    rows: list = field(default_factory=list)
    total_row: Row | None = None  # each count column of `rows` adds up to it
    total_column: str = ""  # the column that each row's other count columns add up to
    note: str = ""

    def all_rows(self):
        return [*self.rows, self.total_row] if self.total_row else list(self.rows)

    def lines(self):
        """The equations a reader could solve: each a list of cells whose last is their sum."""
        counted = [key for key, _label in self.columns if key != self.total_column]
        lines = []
        if self.total_column:
            for row in self.all_rows():
                lines.append([row.cells[key] for key in counted] + [row.cells[self.total_column]])
        if self.total_row:
            for key, _label in self.columns:
                column = [row.cells[key] for row in self.all_rows()]
                if all(cell.kind == COUNT for cell in column):
                    lines.append(column)
        return lines


def suppress(table, threshold):
    """Hide the table's small counts and what would reveal them (in place); returns the table."""
    for row in table.all_rows():
        for cell in row.cells.values():
            if cell.kind == COUNT and cell.value and 0 < cell.value < threshold:
                cell.hidden = PRIMARY
    lines = table.lines()
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(1 for cell in line if cell.hidden) != 1:
                continue
            candidates = [cell for cell in line if not cell.hidden and cell.value]
            if candidates:
                min(candidates, key=lambda cell: cell.value).hidden = SECONDARY
                changed = True
    return table


def measure(value, count, threshold, kind):
    """A median, percentile or share over `count` referrals: not shown below the threshold."""
    if 0 < count < threshold:
        return Cell(None, kind, TOO_FEW)  # the value is dropped, not only hidden
    return Cell(value if count else None, kind)
