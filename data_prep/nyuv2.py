"""Prepare `nyuv2` under the data root.

NYUv2, 13 classes: --from a pre-converted {train,test}/{image,label13} folder, zip or URL.

    python data_prep/nyuv2.py [--from PATH] [--data-root DIR]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout as well

from ddad_lite.data.prepare import prepare_script  # noqa: E402

prepare_script("nyuv2", __doc__)
