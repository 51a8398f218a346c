"""Prepare `camvid` under the data root.

CamVid (SegNet layout): --from the CamVid folder or a zip of it (required).

    python data_prep/camvid.py [--from PATH] [--data-root DIR]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout as well

from ddad_lite.data.prepare import prepare_script  # noqa: E402

prepare_script("camvid", __doc__)
