"""The README's table of reference results is printed from docs/results, never typed: the
block between its markers equals what `references --readme` writes from the files now."""

from ddad_lite.paths import SOURCE_ROOT
from ddad_lite.references.report import README_BEGIN, README_END, readme_block


def test_the_readme_table_is_drawn_from_the_reference_files():
    text = (SOURCE_ROOT / "README.md").read_text()
    block = README_BEGIN + text.split(README_BEGIN, 1)[1].split(README_END, 1)[0] + README_END
    assert block == readme_block(), "run `python -m ddad_lite references --readme`"
    assert "`shapes-ddad`" in block  # the core method's reference is shown
