"""Teachers: the recipes' teachers trained and cached, and a teacher of one's own.

  training.py  teacher recipes, their training, and the cache (`load_or_train_teacher`,
               `teacher_path`, `load_teacher_file`, `weights_digest`)
  manifest.py  the cache's manifest (checked reads, locked writes) and reproducible files
  own_file.py  a teacher of one's own from a file (state dict, TorchScript, trusted pickle),
               checked against the dataset (`load_user_teacher`)

What callers use is re-exported here (`from ddad_lite.teacher import load_or_train_teacher`).
"""

from .own_file import check_classifier, load_user_teacher
from .training import (
    ARCHITECTURE_HINT,
    TEACHER_FORMAT,
    build_teacher,
    load_or_train_teacher,
    load_teacher_file,
    recipe_key,
    teacher_path,
    train_teacher,
    weights_digest,
)

__all__ = ["ARCHITECTURE_HINT", "TEACHER_FORMAT", "build_teacher", "check_classifier",
           "load_or_train_teacher", "load_teacher_file", "load_user_teacher", "recipe_key",
           "teacher_path", "train_teacher", "weights_digest"]
