"""The schema of a run: one config dataclass per run, saved into every checkpoint and
`metrics.json`, so any result can be traced back and resumed (after nanoGPT).

`DistillConfig` holds every setting of a distillation run; `TeacherConfig` every setting of a
teacher's training. The settings of the method itself (its loss weights, its auxiliary
networks) are declared next to the method's code (`ddad_lite/methods/`) and stored here in
`method_settings`, one dict per component of the method name: `{"ddad": {"bn": 1.0, ...}}`, or
`{"ddad": {...}, "replay": {...}}` for "ddad+replay".

Which values a run starts from (the dataset's recipe for a profile, the method's defaults)
is decided in `recipes.py` and `building.py` (`make_config`); this module only says what a
run *is*: its fields, how two runs differ, and a fingerprint naming a run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from ..errors import UserError


@dataclass
class TeacherConfig:
    dataset: str = "shapes"
    model: str = "convnet_teacher"
    model_kwargs: dict = field(default_factory=dict)
    epochs: int = 6
    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    seed: int = 0
    train_size: int | None = None  # None: the whole train split
    amp: bool | str = False  # bfloat16 autocast; "auto": where the device has native bf16
    channels_last: bool = False
    eval_size: int | None = None  # test images scored (None: the whole test split)
    # Train images held out as the validation split (data/validation.py), never trained on;
    # set from the DistillConfig's fields of the same names. 0: no validation split.
    val_size: int = 0
    val_seed: int = 0
    # The fast recipe's options (teacher/training.py); at these defaults a recipe trains and is
    # cached (`recipe_key`) exactly as before they existed.
    label_smoothing: float = 0.0  # cross-entropy against (1 - e) one-hot + e / classes
    warmup: float = 0.15  # the one-cycle schedule's share of steps spent rising to `lr`
    padding_mode: str = "zeros"  # the random crop's padding: "zeros" (DFAD's) or "reflect"
    cutout: int = 0  # side of the square cut out of each training image (0: off)


STUDENT_OPTIMIZERS = ("sgd", "adam")


@dataclass
class DistillConfig:
    # What is distilled into what, and how (`method` names a row of methods.METHODS,
    # optionally with "+extension" suffixes; its settings are in `method_settings`).
    dataset: str = "shapes"
    method: str = "ddad"
    profile: str = "quick"
    method_settings: dict = field(default_factory=dict)
    teacher: str = "convnet_teacher"
    teacher_kwargs: dict = field(default_factory=dict)
    student: str = "convnet_student"
    student_kwargs: dict = field(default_factory=dict)
    generator: str = "generator_a"
    generator_kwargs: dict = field(default_factory=dict)  # e.g. {"conv_bias": True}
    nz: int = 256  # size of z
    ngf: int = 64  # generator width
    # Schedule: `iterations` generator steps, each after `student_steps` (k) student steps.
    iterations: int = 300
    student_steps: int = 5
    batch_size: int = 128
    # Optimisers: S by `student_optimizer` ("sgd": SGD with `momentum`, DFAD's; "adam": Adam,
    # DAFL's on MNIST; both with `weight_decay`), Adam for G. The lr drops by `lr_gamma` at
    # each milestone (given as fractions of `iterations`): S's always, G's unless
    # `schedule_generator` is False (DAFL keeps G's lr constant).
    student_optimizer: str = "sgd"
    lr_student: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    lr_generator: float = 1e-3
    lr_milestones: tuple = ()
    lr_gamma: float = 0.1
    schedule_generator: bool = True
    # Evaluation (never used for training) and logging. Every `eval_every` iterations S is
    # scored on the validation split (`val_size` train images held out from the teacher,
    # drawn with `val_seed`; it chooses the "best" evaluation) and on the test split
    # (`eval_size` images, None: all of it; only reported). val_size 0: no validation, and
    # the best is chosen on the test split as the published numbers are.
    eval_every: int = 25
    eval_size: int | None = None  # None: the whole test split
    val_size: int = 0
    val_seed: int = 0
    log_every: int = 5
    snapshot_every: int = 25
    snapshot_size: int = 32
    # Checkpoints: every `checkpoint_every` iterations (0: off) and every `checkpoint_minutes`
    # of wall time (0: off); always at the end. A killed run loses minutes, not the run.
    checkpoint_every: int = 0
    checkpoint_minutes: float = 5.0
    # A deadline: the loop ends once the run's wall time (teacher included) reaches
    # `time_limit` seconds, and still evaluates, snapshots and writes every file, saying where
    # it stopped (metrics.json `stopped_by`). 0: no deadline.
    time_limit: float = 0.0
    # Runtime.
    seed: int = 0
    device: str = "cpu"
    amp: bool | str = False  # bfloat16 autocast; "auto": where the device has native bf16
    channels_last: bool = False
    compile: bool = False
    progress: bool = True
    data_root: str | None = None
    # The teacher this run distils (trained on first use, then cached).
    teacher_recipe: TeacherConfig = field(default_factory=TeacherConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> DistillConfig:
        d = dict(d)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise UserError(f"config has unknown fields {sorted(unknown)}; "
                            "was it written by another version of ddad-lite?")
        d["teacher_recipe"] = TeacherConfig(**d.get("teacher_recipe", {}))
        if "lr_milestones" in d:
            d["lr_milestones"] = tuple(d["lr_milestones"])
        return cls(**d)

    def settings_of(self, component: str) -> dict:
        """The settings of one component of the method (e.g. "ddad" or "replay")."""
        return dict(self.method_settings.get(component, {}))


# Settings that do not change what a run computes: a resumed run may change them.
RUNTIME_FIELDS = ("progress", "device", "data_root", "checkpoint_every", "checkpoint_minutes",
                  "log_every")


def config_differences(a: DistillConfig, b: DistillConfig) -> list[str]:
    """Names of the settings (other than runtime ones) in which two configs differ; nested
    settings are named by their path, e.g. `method_settings.ddad.bn`."""
    da, db = _flat(_comparable(a)), _flat(_comparable(b))
    return [k for k in sorted(set(da) | set(db)) if da.get(k, _MISSING) != db.get(k, _MISSING)]


def config_fingerprint(cfg: DistillConfig) -> str:
    """Twelve hex digits of the sha256 of the config without its runtime fields: two configs
    that would train the same run share it (`config_differences` is empty between them)."""
    text = json.dumps(_comparable(cfg), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def setting_value(cfg: DistillConfig, path: str):
    """The value of a setting named as in `config_differences` (e.g. `method_settings.ddad.bn`)."""
    value = cfg.to_dict()
    for key in path.split("."):
        value = value.get(key, _MISSING) if isinstance(value, dict) else _MISSING
    return None if value is _MISSING else value


_MISSING = object()


def _comparable(cfg: DistillConfig) -> dict:
    """The fields that decide what a run trains, JSON-normalised (runtime fields left out)."""
    fields = {k: v for k, v in _normalise(cfg.to_dict()).items() if k not in RUNTIME_FIELDS}
    for name, unset in (("generator_kwargs", {}), ("time_limit", 0.0)):
        if fields.get(name) in (unset, None):  # added later: unset, fingerprints stay as before
            fields.pop(name, None)
    return fields


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


def _normalise(d):
    # JSON turns tuples into lists; compare like with like.
    if isinstance(d, dict):
        return {k: _normalise(v) for k, v in d.items()}
    if isinstance(d, (list, tuple)):
        return [_normalise(v) for v in d]
    return d
