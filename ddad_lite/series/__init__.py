"""The notebook series: run headless, its kernel, its site and figures, and the notebooks
built from their sources (the papermill runner's room; `runs/` is one distillation's).

  reproduce.py        executes the notebooks with papermill into runs/<profile>/; results.json,
                      results.md and an HTML copy of each executed notebook
  kernel_client.py    a kernel client that polls in short slices, so a missed wake-up never
                      stalls a notebook until its cell timeout
  notebook_source.py  builds the .ipynb files from their percent-script sources
  kernel.py           the notebooks' kernel `ddad-lite` (`python -m ddad_lite.series.kernel
                      install`)
  site.py             the executed series as static HTML
  figures.py          the README's figures from a real run of the 2-D game
"""
