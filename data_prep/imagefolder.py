"""Prepare `imagefolder` under the data root.

Any train/<class>/*, test/<class>/* tree: --from the folder or a zip of it (required).

    python data_prep/imagefolder.py [--from PATH] [--data-root DIR]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout as well

from ddad_lite.data.prepare import prepare_script  # noqa: E402

prepare_script("imagefolder", __doc__)
