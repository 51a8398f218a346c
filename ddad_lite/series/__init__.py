"""Running the notebook series headless, and building the notebooks from their sources.

  reproduce.py        executes the notebooks with papermill into runs/<profile>/; results.json,
                      results.md and an HTML copy of each executed notebook
  kernel_client.py    a kernel client that polls in short slices, so a missed wake-up never
                      stalls a notebook until its cell timeout
  notebook_source.py  builds the .ipynb files from their percent-script sources
"""
