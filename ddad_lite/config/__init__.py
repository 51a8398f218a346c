"""What a run is and how its settings are chosen.

  schema.py          the schema of a run: `DistillConfig`, `TeacherConfig`, how two runs
                     differ (`config_differences`) and the fingerprint naming a run
  recipes.py         the dataset x profile recipes a run starts from (`RECIPES`, `PROFILES`)
  folder_recipes.py  the default recipe of one's own image folder
  overrides.py       typed overrides: a value given as text (`--set name=value`) read into the
                     field's declared type, the closest known name, durations (`6m`, `90s`)
  building.py        `make_config`: recipe + method row + overrides, checked (ranges, device)

The schema is re-exported here (`from ddad_lite.config import DistillConfig`); `make_config`
is `ddad_lite.make_config` or `ddad_lite.config.building.make_config` (building imports the
methods, which import the schema, so this package's `__init__` leaves it out).
"""

from .schema import (
    RUNTIME_FIELDS,
    STUDENT_OPTIMIZERS,
    DistillConfig,
    TeacherConfig,
    config_differences,
    config_fingerprint,
    setting_value,
)

__all__ = ["RUNTIME_FIELDS", "STUDENT_OPTIMIZERS", "DistillConfig", "TeacherConfig",
           "config_differences", "config_fingerprint", "setting_value"]
