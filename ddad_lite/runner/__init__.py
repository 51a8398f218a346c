"""Running the notebook series headless.

  reproduce.py        executes the notebooks with papermill into runs/<profile>/; results.json,
                      results.md and an HTML copy of each executed notebook
  kernel.py           the notebooks' kernel `ddad-lite` (a fixed language_info)
  kernel_client.py    a kernel client that polls in short slices, so a missed wake-up never
                      stalls a notebook until its cell timeout
"""
