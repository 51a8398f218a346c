"""Pages about runs: what a person opens to see a run, several runs, or the notebook series.

  page.py          a self-contained HTML page (inline style, images as base64 PNG), tables
  run_report.py    report.html and report.png of one run folder (written by every run)
  compare.py       one page comparing several runs (`ddad-lite report RUN RUN ...`)
  series_index.py  runs/<profile>/index.html of `reproduce`: every notebook and the results
  tensorboard.py   a run's history as TensorBoard scalars and images (`--tensorboard`)

The figures are drawn by viz/ (viz/report_figures.py); this room reads the run folders and
lays the figures out. It never trains nor imports runs/ (runs/ calls it once a run's files
are written).
"""

from .compare import write_comparison
from .run_report import write_run_report

__all__ = ["write_comparison", "write_run_report"]
