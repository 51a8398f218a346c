"""What the notebooks share, beside the library they teach.

  series.py     what one series shares (configs, budgets, runs, paths: pointers to where
                each lives) and key figures for the results table
  inversion.py  inverting a teacher against its BN statistics alone, optionally weighting
                the layers (notebook 02, and its exercises' checks)
  dual_discriminator.py  the checks of notebook 03's exercises
  exercises.py  self-checking exercises: `check`, `@exercise`, the solutions folder
  anchors.py    published results set beside the kit's own (notebook 04)
"""
