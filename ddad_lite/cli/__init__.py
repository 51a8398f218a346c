"""The command line, `python -m ddad_lite SUBCOMMAND` (also installed as `ddad-lite`): one
module per family of subcommands.

  main.py         the parser, `main` (a mistake is one line and exit 2; Ctrl-C names the
                  complete files written before it) and the list of subcommands (--help)
  run_flags.py    the flags every run command shares, `--set name=value`, `--seeds`
  own_models.py   `--teacher`/`--student` (a kit, torchvision or timm model) and
                  `--teacher-file` (a trained teacher of one's own)
  teacher.py      teacher: train or load the teacher of a dataset's recipe
  distill.py      distill (one run, or one per seed), sweep (methods x seeds), grid
  data.py         data prepare / info, one's own image folders
  eval_export.py  eval (a run's student scored) and export (.pt, .ts or .onnx)
  pages.py        reproduce (the notebook series headless), report, site, figures
  speed.py        gpu-reproduce (CIFAR-10 on one GPU in ten minutes) and bench
"""
