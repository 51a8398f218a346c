"""What the notebooks share, beside the library they teach.

  budgets.py    the notebooks' budgets laid over a recipe, per profile (lesson, inversion,
                toy)
  series.py     what one series shares (configs, budgets, runs, paths: pointers to where
                each lives) and key figures for the results table
  inversion.py  inverting a teacher against its BN statistics alone, optionally weighting
                the layers (notebook 02, and its exercises' checks)
  dual_discriminator.py  the checks of notebook 03's exercises
  anchors.py    published results, each a best on test, set beside the kit's own (notebook 04)
  exercises.py  self-checking exercises: `check`, `@exercise`, the worked solutions
  *_exercises.py  the checks of a notebook's exercises and what their solutions compute
                (teacher 00, cifar 04, segmentation 05, replay 06, comparison 07)
  toy2d.py      the 2-D toy: two moons, T, S, G and BN-only / DFAD / DDAD on them (01)
"""
