"""The notebook series: run headless, its kernel, its site and figures (the papermill
runner's room; `runs/` is one distillation's). The notebooks are built from their sources by
jupytext (`make notebooks`, notebooks/jupytext.toml).

  reproduce.py        executes the notebooks with papermill into runs/<profile>/; results.json,
                      results.md and an HTML copy of each executed notebook
  kernel_client.py    a kernel client that polls in short slices, so a missed wake-up never
                      stalls a notebook until its cell timeout
  kernel.py           the notebooks' kernel `ddad-lite` (`python -m ddad_lite.series.kernel
                      install`)
  site.py             the executed series as static HTML
  figures.py          the README's figures from a real run of the 2-D game
"""
