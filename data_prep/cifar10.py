"""Prepare `cifar10` under the data root.

CIFAR-10: the official tarball online, or --from the tarball, a class-folder zip or folder.

    python data_prep/cifar10.py [--from PATH] [--data-root DIR]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout as well

from ddad_lite.data.prepare import prepare_script  # noqa: E402

prepare_script("cifar10", __doc__)
