"""What the notebooks share, beside the library they teach.

  series.py     the notebook series' settings: one config recipe, the shapes schedule per
                profile (`series_budget`), key figures for the results table
  inversion.py  inverting a teacher against its BN statistics alone (notebook 01)
  anchors.py    published results set beside the kit's own (notebook 03)
"""
