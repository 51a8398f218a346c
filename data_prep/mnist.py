"""Prepare `mnist` under the data root.

MNIST: the four idx files from the usual mirrors, or --from a folder/archive holding them.

    python data_prep/mnist.py [--from PATH] [--data-root DIR]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout as well

from ddad_lite.data.prepare import prepare_script  # noqa: E402

prepare_script("mnist", __doc__)
