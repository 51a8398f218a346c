"""ddad-lite: a teaching and reproduction kit for data-free knowledge distillation.

The public API, by layer (each imports only from the layers above it):
  data, models            get_dataset, dataset_info, build
  config                  DistillConfig, TeacherConfig, make_config
  losses, methods         BNStatistics, discrepancy, build_method
  engine, teacher         Distiller, load_or_train_teacher
  runs                    run_distillation
"""

from .config import DistillConfig, TeacherConfig
from .config.building import make_config
from .data import available_datasets, dataset_info, get_dataset
from .engine import Distiller
from .errors import UserError
from .losses import BNStatistics, discrepancy
from .methods import build_method
from .models import available_models, build
from .runs.run import run_distillation
from .teacher import load_or_train_teacher

__version__ = "0.1.0"

__all__ = [
    "BNStatistics", "DistillConfig", "Distiller", "TeacherConfig", "UserError",
    "available_datasets", "available_models", "build", "build_method", "dataset_info",
    "discrepancy", "get_dataset", "load_or_train_teacher", "make_config", "run_distillation",
]
