"""Distillation runs: one run, runs on disk, and sweeps over methods and seeds.

  run.py     one run end to end (`run_distillation`) and its metrics.json (`collect_metrics`)
  lock.py    one writer per run folder: made, checked writable and locked before any work
  store.py   finding and reusing runs on disk (`run_or_load`, `run_folder`, `load_history`)
  sweep.py   several methods x seeds on one teacher and budget: rows, summaries, a table
  grid.py, student.py, export.py, gpu_reproduce.py  a grid of settings, a run's student
             scored and exported, CIFAR-10 on one GPU in one command
  replay_samples.py  a "+replay" run's VAE rebuilt from its checkpoint and sampled (for viz)
"""
