"""Worked solutions of notebook 02's exercises: `solution_N(**context)` returns the answer that
`check("02", N, answer)` accepts. The context holds the notebook's parameters (`profile`,
`device`, `out_dir`, `cache_dir`, `data_root`, `seed`); anything not given takes the
notebook's default, and `teacher` (the loaded (model, record)) may be passed to skip loading."""

import torch

from ddad_lite import dataset_info, get_dataset, load_or_train_teacher
from ddad_lite.config.building import make_config
from ddad_lite.data.validation import training_indices
from ddad_lite.lessons.inversion import invert_generator, invert_pixels, measure_bn
from ddad_lite.lessons.budgets import inversion_budget


def _teacher(context):
    if context.get("teacher") is not None:
        return context["teacher"]
    cfg = make_config("shapes", "bn_only", context.get("profile", "smoke"), progress=False)
    return load_or_train_teacher(cfg.teacher_recipe, cache_dir=context.get("cache_dir"),
                                 data_root=context.get("data_root"),
                                 device=context.get("device", "cpu"), progress=False)


def solution_1(**context):
    """Invert pixels against the first BN layer's R_l only."""
    teacher, _ = _teacher(context)
    first = next(name for name, m in teacher.named_modules()
                 if isinstance(m, torch.nn.BatchNorm2d))
    budget = inversion_budget(context.get("profile", "smoke"))
    return invert_pixels(teacher, batch_size=16, iterations=budget["pixel_iterations"],
                         record_every=budget["record_every"], seed=context.get("seed", 0),
                         device=context.get("device", "cpu"), layer_weights={first: 1.0})


def solution_2(**context):
    """L_BN of real training images (the teacher's own) at three batch sizes."""
    teacher, _ = _teacher(context)
    recipe = make_config("shapes", "bn_only", context.get("profile", "smoke")).teacher_recipe
    train = get_dataset("shapes", "train", context.get("data_root"))
    keep = training_indices(len(train), size=recipe.val_size, seed=recipe.val_seed)
    floors = {}
    for n in (8, 64, 512):
        x = torch.stack([train[i][0] for i in keep[:n]]).to(context.get("device", "cpu"))
        floors[n] = sum(r["R"] for r in measure_bn(teacher, x))
    return floors


def solution_3(**context):
    """Count T's predicted classes over 512 images of a generator inverted against L_BN."""
    teacher, _ = _teacher(context)
    budget = inversion_budget(context.get("profile", "smoke"))
    device = context.get("device", "cpu")
    gen = invert_generator(teacher, iterations=budget["generator_iterations"],
                           record_every=budget["record_every"], seed=context.get("seed", 0),
                           device=device)
    with torch.no_grad():
        pred = teacher(gen.generator(torch.randn(512, 128, device=device))).argmax(1)
    return torch.bincount(pred.cpu(), minlength=dataset_info("shapes").num_classes)


def bn_hook(module, inputs, output):
    """Forward hook on a BatchNorm2d layer: the batch's mu, var and R_l on module.bn_record."""
    a = inputs[0]  # the layer's input a_l, (N, C, H, W)
    mu = a.mean(dim=(0, 2, 3))  # one mean per channel, over the batch and the positions
    var = a.var(dim=(0, 2, 3), unbiased=False)  # biased: divided by n, as R_l compares it
    R = (torch.linalg.vector_norm(mu - module.running_mean)
         + torch.linalg.vector_norm(var - module.running_var))
    module.bn_record = {"mu": mu, "var": var, "R": R}


def solution_4(**context):
    """The BN hook written out: check("02", 4, ...) runs it beside the kit's BNStatsHook."""
    return bn_hook
