"""tables.py: one Markdown table writer (None, percent, mean ± std, footnote)."""

import pytest

from ddad_lite.tables import Column, format_value, markdown_table


def test_a_table_with_none_percent_and_a_footnote():
    columns = [Column("method"), Column("acc (%)", "acc", digits=1, percent=True, right=True),
               Column("steps", right=True), Column("loss", digits=3)]
    rows = [{"method": "ddad", "acc": 0.9123, "steps": 200, "loss": 0.25},
            {"method": "dfad", "acc": None, "steps": 200},  # missing values: empty cells
            {"method": "a|b", "acc": (0.5, 0.05), "steps": None, "loss": (1.0, None)}]
    assert markdown_table(columns, rows, footnote="*acc on the test split.") == "\n".join([
        "| method | acc (%) | steps | loss |",
        "| --- | ---: | ---: | --- |",
        "| ddad | 91.2 | 200 | 0.250 |",
        "| dfad |  | 200 |  |",
        "| a\\|b | 50.0 ± 5.0 |  | 1.000 |",
        "",
        "*acc on the test split."])


def test_rows_may_be_sequences_and_columns_plain_titles():
    table = markdown_table(["a", "b"], [(1, 0.123456), ("x", None)], missing="n/a")
    assert table.splitlines()[2:] == ["| 1 | 0.1235 |", "| x | n/a |"]
    with pytest.raises(ValueError, match="2 columns"):
        markdown_table(["a", "b"], [(1,)])


def test_format_value():
    assert format_value(None) == "" and format_value(None, missing="n/a") == "n/a"
    assert format_value(0.05, percent=True, digits=1) == "5.0"
    assert format_value(1234.5678) == "1235" and format_value(3) == "3"
    assert format_value((None, 0.1)) == ""
