"""Prepare `caltech101` under the data root.

Caltech101: the official caltech-101.zip online, or --from it or 101_ObjectCategories/.

    python data_prep/caltech101.py [--from PATH] [--data-root DIR]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout as well

from ddad_lite.data.prepare import prepare_script  # noqa: E402

prepare_script("caltech101", __doc__)
