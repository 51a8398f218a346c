"""Prepare `camvid` under the data root.

CamVid (SegNet layout): --from the CamVid folder or a zip of it (required).

    python data_prep/camvid.py [--from PATH] [--data-root DIR]
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout as well

from ddad_lite.data.prepare import prepare_dataset
from ddad_lite.errors import UserError

parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[:2]))
parser.add_argument("--from", dest="source", help="local archive, folder or URL to import "
                    "(default: download the official source, where there is one)")
parser.add_argument("--data-root", help="where datasets live (default: $DDAD_DATA or ./data)")
args = parser.parse_args()
try:
    manifest = prepare_dataset("camvid", args.source, args.data_root)
except UserError as e:
    raise SystemExit(f"error: {e}") from None
print(json.dumps(manifest["splits"]))
