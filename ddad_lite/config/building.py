"""`make_config`: the config of a run, from the dataset's recipe, the method's row and the
user's overrides, checked before any work starts.

    cfg = make_config("shapes", "ddad", "quick", bn=0.5, iterations=300)

Layers, each over the one before:
  1. `DistillConfig`'s defaults and each method component's `Settings` defaults;
  2. the recipe's `common`, then its profile (recipes.py); method settings named there apply
     to every component that has them;
  3. the method row's settings and run defaults (methods/__init__.py), then the recipe's
     per-dataset settings of that method (`RECIPES[dataset]["methods"][method]`), and under
     it, by profile name, those of one profile (e.g. the schedule of DAFL's own runs);
  4. `overrides`: `DistillConfig` fields or method settings by name (values may be text, as
     from `--set name=value`; each is converted to its declared type), a `teacher_recipe`
     dict, or a whole `method_settings` dict.

An unknown name is refused with the closest known one; a value of the wrong type, a setting
that contradicts the method (DFAD with a BN term, DDAD without one) or an invalid combination
is refused in one line: nothing is silently ignored or relabelled.
"""

from __future__ import annotations

import dataclasses

import torch

from ..data import find_prepared
from ..data.prepare import dataset_summary
from ..errors import UserError, unknown_name
from ..methods import EXTENSIONS, METHODS, components
from ..models import check_model_name
from .folder_recipes import image_folder_recipe
from .overrides import closest, coerce, field_types
from .recipes import PROFILES, RECIPES, RUN_PROFILES
from .schema import STUDENT_OPTIMIZERS, DistillConfig, TeacherConfig

RUN_FIELDS = field_types(DistillConfig)
TEACHER_FIELDS = field_types(TeacherConfig)


def make_config(dataset: str = "shapes", method: str = "ddad", profile: str = "quick",
                **overrides) -> DistillConfig:
    """The config of a run: defaults <- recipe <- method row <- overrides (see above)."""
    if profile not in RUN_PROFILES:
        raise unknown_name("profile", profile, RUN_PROFILES)
    parts = components(method)
    base, row = parts[0]
    types = {name: field_types(r.method.Settings) for name, r in parts}
    settings = {name: {} for name, _ in parts}
    run: dict = {}
    teacher: dict = {}
    recipe = RECIPES.get(dataset) or _image_folder_recipe(dataset, overrides.get("data_root"))
    if profile not in PROFILES and profile not in recipe:
        having = sorted(name for name, r in RECIPES.items() if profile in r)
        raise UserError(f"dataset {dataset!r} has no {profile!r} profile (it exists for "
                        f"{', '.join(having) or 'no dataset'}); use quick or full")

    def apply(layer: dict, *, strict: bool) -> None:
        for key, value in layer.items():
            if key == "teacher_recipe":
                teacher.update(_typed(coerce(key, value, dict), TEACHER_FIELDS,
                                      "teacher_recipe"))  # a dict, or its JSON from --set
            elif key == "method_settings":
                for part, values in value.items():
                    if part not in settings:
                        raise UserError(f"method_settings names {part!r}, which is not part "
                                        f"of method {method!r}")
                    for k, v in values.items():
                        _set_method_setting(settings, types, k, v, part=part)
            elif key in RUN_FIELDS:
                run[key] = coerce(key, value, RUN_FIELDS[key])
            elif any(key in t for t in types.values()):
                _set_method_setting(settings, types, key, value)
            elif strict or not _known_setting(key):
                raise UserError(f"unknown setting {key!r} for method {method!r}"
                                f"{closest(key, _names(types))}; see `ddad-lite distill "
                                "--help-settings`")

    apply(recipe.get("common", {}), strict=False)
    apply(recipe.get(profile, {}), strict=False)
    for name, part_row in parts:
        _set_all(settings, types, part_row.settings, part=name)
    apply(row.run_defaults, strict=True)
    per_method = dict(recipe.get("methods", {}).get(base, {}))
    per_profile = {p: per_method.pop(p) for p in RUN_PROFILES if p in per_method}
    apply(per_method, strict=True)
    apply(per_profile.get(profile, {}), strict=True)
    resolved_row = {k: v for k, v in _complete(settings, parts)[base].items()}
    apply(overrides, strict=True)
    complete = _complete(settings, parts)
    _check_row(method, base, row, before=resolved_row, after=complete[base])

    cfg = DistillConfig(dataset=dataset, method=method, profile=profile,
                        method_settings=complete, **run)
    _check_ranges(cfg)
    check_model_name(cfg.teacher)
    check_model_name(cfg.student)
    # The validation split is held out of the teacher's training too: one setting for both.
    teacher.update(val_size=cfg.val_size, val_seed=cfg.val_seed)
    cfg.teacher_recipe = TeacherConfig(dataset=dataset, model=cfg.teacher,
                                       model_kwargs=dict(cfg.teacher_kwargs), **teacher)
    for name, part_row in parts:
        part_settings = part_row.method.Settings(**complete[name])
        part_settings.validate()
        check = getattr(part_row.method, "check", None)
        if check is not None:
            check(cfg, part_settings)
    return cfg


def _image_folder_recipe(dataset: str, data_root) -> dict:
    """The recipe of an image folder prepared under the name `dataset` (folder_recipes.py)."""
    info = find_prepared(dataset, data_root)
    if info is None:
        raise UserError(f"unknown dataset {dataset!r}; choose one of: "
                        f"{', '.join(sorted(RECIPES))}, or prepare your own image folder: "
                        f"python -m ddad_lite data prepare imagefolder --from DIR --name "
                        f"{dataset}")
    train = dataset_summary(dataset, data_root)["splits"]["train"]
    return image_folder_recipe(image_size=info.image_size, train_images=train)


# Run fields that must be at least this large (0 turns the periodic ones off).
MINIMUM = {"iterations": 1, "student_steps": 1, "batch_size": 1, "nz": 1, "ngf": 1,
           "snapshot_size": 1, "eval_every": 0, "log_every": 0, "snapshot_every": 0,
           "checkpoint_every": 0, "checkpoint_minutes": 0, "seed": 0, "eval_size": 1,
           "val_size": 0, "val_seed": 0}
# ... and at most this large: beyond these a run cannot fit in any memory (a batch of 2^16
# images of 224 x 224 is already 39 GB), so the mistake is refused before any work.
MAXIMUM = {"batch_size": 1 << 16, "snapshot_size": 1 << 12, "student_steps": 1 << 16,
           "nz": 1 << 16, "ngf": 1 << 12, "seed": 2**63 - 1, "val_seed": 2**63 - 1}
DEVICE_TYPES = ("cpu", "cuda", "mps")


def _check_ranges(cfg: DistillConfig) -> None:
    """One line for a run field out of range, before any work starts."""
    for name, low in MINIMUM.items():
        value = getattr(cfg, name)
        if value is not None and value < low:
            raise UserError(f"setting {name!r} must be >= {low}, not {value}")
    for name, high in MAXIMUM.items():
        value = getattr(cfg, name)
        if value is not None and value > high:
            raise UserError(f"setting {name!r} must be <= {high}, not {value}")
    check_device(cfg.device)
    if cfg.amp not in (True, False, "auto", "bf16", "fp16"):
        raise UserError(f"setting 'amp' must be true, false, auto, bf16 or fp16, not "
                        f"{cfg.amp!r}")
    for name in ("lr_student", "lr_generator"):
        if getattr(cfg, name) <= 0:
            raise UserError(f"setting {name!r} must be > 0, not {getattr(cfg, name)}")
    if cfg.student_optimizer not in STUDENT_OPTIMIZERS:
        raise unknown_name("student_optimizer", cfg.student_optimizer, STUDENT_OPTIMIZERS)
    if not all(0 < f <= 1 for f in cfg.lr_milestones):
        raise UserError(f"lr_milestones are fractions of the iterations in (0, 1], not "
                        f"{cfg.lr_milestones}")
    if list(cfg.lr_milestones) != sorted(set(cfg.lr_milestones)):
        raise UserError(f"lr_milestones must increase (each a later fraction of the "
                        f"iterations), not {cfg.lr_milestones}")


def check_device(device: str) -> None:
    """One line unless `device` names a device this machine has (cpu, cuda[:N], mps): checked
    where the settings enter, before a teacher is trained."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.type not in DEVICE_TYPES:
        raise UserError(f"unknown device {device!r}; use cpu, cuda (or cuda:N) or mps")
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"--device {device} was asked for but no CUDA device is "
                            "available; use --device cpu")
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise UserError(f"--device {device}: this machine has "
                            f"{torch.cuda.device_count()} CUDA device(s); use cuda:0")
    if parsed.type == "mps" and not torch.backends.mps.is_available():
        raise UserError(f"--device {device} was asked for but MPS is not available; use "
                        "--device cpu")


def settings_help(method: str) -> list[tuple[str, str, object]]:
    """(name, type, default) of every setting a run of `method` takes: run fields first."""
    rows = [(k, _type_name(t), f.default if f.default is not dataclasses.MISSING else "")
            for (k, t), f in zip(RUN_FIELDS.items(), dataclasses.fields(DistillConfig),
                                 strict=True) if k not in ("method_settings", "teacher_recipe")]
    for _, row in components(method):
        defaults = dataclasses.asdict(row.method.Settings())
        defaults.update(row.settings)
        for k, t in field_types(row.method.Settings).items():
            rows.append((k, _type_name(t), defaults[k]))
    return rows


def _typed(values: dict, fields: dict, what: str) -> dict:
    out = {}
    for k, v in values.items():
        if k not in fields:
            raise UserError(f"unknown {what} setting {k!r}{closest(k, fields)}")
        out[k] = coerce(k, v, fields[k])
    return out


def _set_method_setting(settings, types, key, value, *, part=None) -> None:
    owners = [p for p in types if key in types[p] and (part is None or p == part)]
    if not owners:
        raise UserError(f"unknown setting {key!r}{closest(key, _names(types))}")
    for owner in owners:
        settings[owner][key] = coerce(key, value, types[owner][key])


def _set_all(settings, types, values: dict, *, part: str) -> None:
    for key, value in values.items():
        _set_method_setting(settings, types, key, value, part=part)


def _complete(settings, parts) -> dict:
    """Every component's settings in full: its Settings defaults under what was set."""
    out = {}
    for name, row in parts:
        values = dataclasses.asdict(row.method.Settings())
        values.update(settings[name])
        out[name] = values
    return out


def _check_row(method: str, base: str, row, *, before: dict, after: dict) -> None:
    """Refuse overrides that would make the method another one (one line, naming it)."""
    for key in row.fixed:
        if after[key] != before[key]:
            other = _method_with(key, after[key], like=row)
            hint = f"; for {key} = {after[key]} use e.g. --method {other}" if other else ""
            raise UserError(f"--method {base} fixes {key} = {before[key]} ({row.summary})"
                            f"{hint}")
    for key in row.nonzero:
        if not after[key]:
            other = _method_with(key, after[key], like=row)
            hint = f"; for {key} = 0 use e.g. --method {other}" if other else ""
            raise UserError(f"--method {base} needs {key} != 0 ({row.summary}){hint}")


def _method_with(key: str, value, *, like) -> str | None:
    """A method of the same class whose row allows `key = value`."""
    for name, row in METHODS.items():
        if row.method is not like.method or row is like:
            continue
        if value and key in row.nonzero:
            return name
        if not value and key in row.fixed and not row.settings.get(key):
            return name
    return None


def _known_setting(key: str) -> bool:
    """Whether any registered method (or extension) has a setting `key`."""
    return any(key in field_types(r.method.Settings)
               for r in list(METHODS.values()) + list(EXTENSIONS.values()))


def _names(types: dict) -> list[str]:
    return list(RUN_FIELDS) + [k for t in types.values() for k in t] + ["teacher_recipe"]


def _type_name(t) -> str:
    return getattr(t, "__name__", str(t)).replace("typing.", "")
