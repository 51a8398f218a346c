"""Markdown tables: one writer for every table the kit prints or saves.

    markdown_table([Column("method"), Column("final acc (%)", "final", digits=1, percent=True)],
                   rows, footnote="*best: chosen on the test split.")

A row is a dict (a column reads `row.get(column.key)`) or a sequence (one value per column).
A cell is formatted by `format_value`: None is empty (or `missing`), an int or a string as it
is, a float with `digits` decimals (else 4 significant digits), times 100 when the column is
a `percent` one, and a pair (mean, std) as "mean ± std".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True)
class Column:
    title: str
    key: str | None = None       # the row's field; default: the title
    digits: int | None = None    # decimals of a float; None: 4 significant digits
    percent: bool = False        # floats are fractions, shown times 100
    right: bool = False          # right-aligned (numbers)

    @property
    def field(self) -> str:
        return self.title if self.key is None else self.key


def format_value(v, *, digits: int | None = None, percent: bool = False,
                 missing: str = "") -> str:
    """One cell: see the module's docstring."""
    if v is None:
        return missing
    if isinstance(v, tuple) and len(v) == 2:  # (mean, std); a None std shows the mean alone
        mean, std = (format_value(x, digits=digits, percent=percent) for x in v)
        return f"{mean} ± {std}" if mean and std else (mean or missing)
    if isinstance(v, float):
        v = 100 * v if percent else v
        return f"{v:.4g}" if digits is None else f"{v:.{digits}f}"
    return str(v)


def markdown_table(columns: Sequence[Column | str], rows: Iterable, *, footnote: str = "",
                   missing: str = "") -> str:
    """The rows as a Markdown table under the columns' titles, then the footnote if any."""
    columns = [c if isinstance(c, Column) else Column(c) for c in columns]
    lines = ["| " + " | ".join(c.title for c in columns) + " |",
             "|" + "|".join(" ---: " if c.right else " --- " for c in columns) + "|"]
    for row in rows:
        values = ([row.get(c.field) for c in columns] if isinstance(row, dict) else list(row))
        if len(values) != len(columns):
            raise ValueError(f"a row has {len(values)} values for {len(columns)} columns")
        cells = [format_value(v, digits=c.digits, percent=c.percent, missing=missing)
                 .replace("|", "\\|") for c, v in zip(columns, values, strict=True)]
        lines.append("| " + " | ".join(cells) + " |")
    if footnote:
        lines += ["", footnote]
    return "\n".join(lines)
