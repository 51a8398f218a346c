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


def test_the_kits_tables_are_written_by_it():
    from ddad_lite.lessons.anchors import anchor_table
    from ddad_lite.viz.segmentation_figures import comparison_table

    ours = {"dataset": "cifar10", "profile": "quick", "teacher_acc": 0.95, "student_acc": 0.9,
            "mean_student_acc": None, "best_student_acc": 0.912, "method": "ddad",
            "iterations": 200}
    lines = anchor_table(ours).splitlines()
    assert lines[2] == "| this run (quick profile) | 95.0 | 90.0 |  | 91.2 | ddad | 200 |"
    assert "| DFAD paper | 95.50 | 93.90 | 88.50 | 93.30 |  |  |  |" in lines
    assert "each one best on test (published)" in anchor_table(ours)
    paired = anchor_table({**ours, "config": {"teacher": "convnet_teacher",
                                             "student": "convnet_student"}}).splitlines()
    assert paired[2].startswith("| this run (quick profile: convnet_teacher -> convnet_student) |")
    assert anchor_table({**ours, "dataset": "shapes"}).endswith(
        "No published anchors exist for `shapes` (a kit's own dataset).")
    seg = comparison_table({"method": "dfad", "profile": "smoke", "teacher_miou": 0.5,
                            "student_miou": 0.25}, "camvid").splitlines()
    assert seg[2] == "| this run: camvid, dfad (smoke) | 0.500 | 0.250 |  |  |  |"
    assert seg[0].endswith("| best on test (published) |")  # the published numbers' column
    assert seg[3] == "| DFAD paper: camvid, DFAD | 0.594 |  |  |  | 0.535 |"
    assert len(seg) == 2 + 1 + 2 * 3 + 2  # and the footnote
