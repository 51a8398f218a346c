"""Reference results: the converged experiments the notebooks conclude from.

A notebook's live run is short, for watching the dynamics; what a lesson *concludes* comes
from a reference: a named experiment (dataset, method, budget, seeds) that the kit itself
runs, ships small under `docs/results/<name>/` and checks (tests/test_references.py).

  table.py  which experiments are references: one frozen row each (`REFERENCES`)
  make.py   run a reference's seeds (`runs.store.run_or_load`, one thread a run) and write
            its small files: summary, curves, the generator's images, provenance, config
  report.py read the written files back: the Markdown table of every reference, the README
"""

from .table import REFERENCES, Reference, reference

__all__ = ["REFERENCES", "Reference", "reference"]
