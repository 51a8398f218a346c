"""A run's history as TensorBoard events (`distill --tensorboard`), written from the run's own
files once it ends, into `RUN/tensorboard/`; open with `tensorboard --logdir RUN/tensorboard`.

  train/<name>    every logged loss (L_S, L_G, the terms of L_G) and the student's lr
  eval/<name>     the student's scores on the test and validation splits
  bn/<layer>      R_l per BN layer, where the method records it
  generated/...   G(fixed z) at every snapshot (images), S's agreement with T on them

TensorBoard is an optional extra (`pip install "ddad-lite[tensorboard]"`); without it,
`--tensorboard` stops before the run with one line naming the extra.
"""

from __future__ import annotations

from pathlib import Path

from ..extras import require_extra
from .run_report import read_run

MAX_IMAGES = 16  # per snapshot: enough to see the generator, small enough for the event file


def check_tensorboard() -> None:
    """One line naming the extra unless TensorBoard's writer can be imported."""
    require_extra("tensorboard", "tensorboard", feature="--tensorboard")


def write_tensorboard(run_dir) -> Path:
    """Write the run's history and snapshots as TensorBoard events; returns the log folder."""
    check_tensorboard()
    from torch.utils.tensorboard import SummaryWriter  # optional extra: tensorboard

    # import cost: matplotlib (~1 s), loaded only once a report is drawn
    from ..viz.report_figures import agreement

    run = read_run(run_dir)
    history = run["history"]
    log_dir = Path(run_dir) / "tensorboard"
    writer = SummaryWriter(log_dir=str(log_dir))
    try:
        for group in ("train", "eval"):
            for record in history.get(group, []):
                for key, value in record.items():
                    if key != "iteration" and isinstance(value, (int, float)):
                        writer.add_scalar(f"{group}/{key}", value, record["iteration"])
        for record in history.get("bn_layers", []):
            for layer, value in record.items():
                if layer != "iteration":
                    writer.add_scalar(f"bn/{layer}", value, record["iteration"])
        for snapshot in run["snapshots"]:
            step = snapshot["iteration"]
            writer.add_images("generated/images", snapshot["images"][:MAX_IMAGES], step,
                              dataformats="NCHW")
            writer.add_scalar("generated/student_agrees_with_teacher", agreement(snapshot),
                              step)
    finally:
        writer.close()
    return log_dir
