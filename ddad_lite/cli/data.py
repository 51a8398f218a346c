"""`data prepare NAME` (download or import, then verify) and `data info NAME`; one's own class
folders with `data prepare imagefolder --from DIR --name NAME` (data/imagefolder.py).
"""

from __future__ import annotations

import json

from ..data.prepare import dataset_summary, prepare_dataset
from ..errors import UserError


def cmd_data(args):
    if args.action == "prepare":
        manifest = prepare_dataset(args.name, source=args.source, root=args.data_root,
                                   progress=not args.no_progress, as_name=args.as_name,
                                   options=image_folder_options(args))
        print(json.dumps(manifest, default=str))
    else:
        print(json.dumps(dataset_summary(args.name, root=args.data_root)))


def image_folder_flags(p) -> None:
    """`data prepare imagefolder`'s options."""
    p.add_argument("--name", dest="as_name", help="imagefolder: the name to prepare it under, then "
                                  "distill --dataset NAME (default: imagefolder)")
    p.add_argument("--image-size", dest="image_size", type=int,
                   help="imagefolder: resize every image to N x N (default: the images' own "
                        "size, which must be one square size)")
    p.add_argument("--test-fraction", dest="test_fraction", type=float,
                   help="imagefolder without train/ and test/: the share of each class held "
                        "out for testing (default: 0.2)")
    p.add_argument("--seed", type=int, help="imagefolder: the seed of that split (default: 0)")
    p.add_argument("--mean", help="imagefolder: normalisation mean per channel, e.g. "
                                  "0.485,0.456,0.406 (default: measured on the train split)")
    p.add_argument("--std", help="imagefolder: normalisation std per channel (default: "
                                 "measured)")


def image_folder_options(args) -> dict:
    out = {"image_size": args.image_size, "test_fraction": args.test_fraction,
           "seed": args.seed}
    for name in ("mean", "std"):
        text = getattr(args, name)
        if text is not None:
            try:
                values = [float(v) for v in text.split(",")]
            except ValueError:
                values = []
            if len(values) != 3 or (name == "std" and min(values) <= 0):
                raise UserError(f"--{name} takes 3 numbers separated by commas, e.g. "
                                f"0.5,0.5,0.5, not {text!r}")
            out[name] = values
    if args.image_size is not None and args.image_size < 4:
        raise UserError(f"--image-size must be at least 4, not {args.image_size}")
    return out


def add_commands(sub) -> None:
    """Register `data` on `sub`."""
    p = sub.add_parser("data", help="prepare a dataset or print its info")
    p.add_argument("action", choices=("prepare", "info"))
    p.add_argument("name", help="cifar10, cifar100, mnist, caltech101, camvid, nyuv2, "
                                "imagefolder, shapes, scenes")
    p.add_argument("--from", dest="source",
                   help="import a local archive or folder instead of downloading")
    p.add_argument("--data-root", dest="data_root",
                   help="where datasets live (default: $DDAD_DATA or ./data)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    image_folder_flags(p)
    p.set_defaults(func=cmd_data)
