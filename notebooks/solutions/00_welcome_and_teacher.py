"""Worked solutions of notebook 00's exercises.

`solution_N(**context)` returns answer_N; `context` is the notebook's parameters (profile,
device, out_dir, seed, cache_dir, data_root). The checks are in
`ddad_lite/lessons/teacher_exercises.py`.
"""

from ddad_lite.config.building import make_config
from ddad_lite.lessons.teacher_exercises import teacher_confusion
from ddad_lite.paths import series_paths
from ddad_lite.teacher import load_or_train_teacher


def _teacher(profile, *, device="cpu", cache_dir=None, data_root=None, **_):
    paths = series_paths(cache_dir=cache_dir, data_root=data_root)
    recipe = make_config("shapes", "ddad", profile).teacher_recipe
    return load_or_train_teacher(recipe, cache_dir=paths["cache_dir"],
                                 data_root=paths["data_root"], device=device, progress=False)


def solution_1(**context):
    """The smoke teacher's record. One epoch on 2,000 images leaves it near chance (about 10%
    here): every line of the series runs, which is all a plumbing test needs, but there is no
    knowledge in it to distil, so a lesson's numbers would mean nothing."""
    return _teacher(**{**context, "profile": "smoke"})[1]


def solution_2(profile="quick", **context):
    """The cache file is named by a hash of the whole recipe (`teacher.recipe_key`): another
    number of epochs is another teacher, so it gets its own file and is trained once."""
    default = make_config("shapes", "ddad", profile).teacher_recipe
    changed = make_config("shapes", "ddad", profile, teacher_recipe={"epochs": 3}).teacher_recipe
    return {"default": default, "changed": changed}


def solution_3(profile="quick", **context):
    """The teacher's confusion matrix over the whole test split (rows: true class)."""
    teacher, _ = _teacher(profile, **context)
    return teacher_confusion(teacher, "shapes", data_root=context.get("data_root"),
                             device=context.get("device", "cpu"))
