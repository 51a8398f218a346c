"""Teachers: trained on first use from a recipe, cached with a sha256, and reused.

A teacher checkpoint holds the `TeacherConfig` it was trained with, its state dict and its
top-1 accuracy (mIoU for segmentation) on the dataset's test split. Its sha256 is recorded in
`MANIFEST.json` in the cache folder; a cached file whose hash no longer matches is refused.
Every run records its teacher's accuracy and checksum beside its results.

Two checksums, for two questions. The file's sha256 (`sha256`) guards the file: the manifest
refuses a file that changed. The weights' sha256 (`weights_sha256`, `weights_digest`) names the
teacher: it hashes the state dict's tensors (name, dtype, shape and bytes, in name order), not
the file, whose bytes also hold the torch version. The file holds no training time (that is
in the manifest and the record), so identical weights make an identical file; it does hold
its own `weights_sha256`, which lets a file that lost its manifest entry be verified.

Several processes may share a cache: each entry is trained under a lock, so a second process
asking for a teacher being trained waits and then loads it, and both records name the sha256
of the one file on disk (see `load_or_train_teacher`). A teacher retrained
to the same weights keeps its `weights_sha256`, so runs made with it are reused
(`runs/store.py`); any other teacher gets another one, and those runs are made again.

Teachers published with DFAD load too, with `load_teacher_file`: a bare state dict (e.g.
`cifar10-resnet34_8x.pt`), one under `state_dict`, keys under `module.`/`net.`, and DFAD's key
names for every model the kit shares with it (ResNet-8x, torchvision ResNets, DeepLabV3-
ResNet50 and -MobileNetV2, LeNet-5), mapped onto the kit's (`models/published.py`).

The cache folder is `$DDAD_CACHE/teachers` if `DDAD_CACHE` is set, else
`./checkpoints/teachers`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from pathlib import Path

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Subset
from tqdm.auto import tqdm

from ..config import TeacherConfig
from ..data import dataset_info, get_dataset
from ..data.on_device import Augment, DeviceSplit, uint8_tensors
from ..data.validation import training_indices
from ..errors import UserError
from ..files import (
    atomic_write,
    hold_lock,
    load_torch,
    remove_stale_temporaries,
    sha256_file,
    writing_into,
)
from ..hardware import resolve_amp
from ..metrics import accuracy, eval_loader, evaluate
from ..models import build
from ..models.published import load_published
from ..paths import resolve_teacher_cache
from .manifest import (
    MANIFEST,
    read_manifest,
    record_in_manifest,
    require_writable,
    save_reproducibly,
)

TEACHER_FORMAT = "ddad-lite/teacher-v1"
ARCHITECTURE_HINT = ("name the architecture it was saved from with distill --teacher NAME (a "
                     "kit model, torchvision:NAME or timm:NAME) and the dataset it was "
                     "trained on with --dataset")


# TeacherConfig fields added after the first cached teachers, with the value that means "as
# before": a recipe that leaves them so keeps its cache key.
LATER_FIELDS = {"eval_size": None, "val_size": 0, "val_seed": 0, "label_smoothing": 0.0,
                "warmup": 0.15, "padding_mode": "zeros", "cutout": 0}


def recipe_key(recipe: TeacherConfig) -> str:
    """A short hash of the recipe: the cache file name changes when the recipe does."""
    fields = dataclasses.asdict(recipe)
    # Fields added later leave earlier keys unchanged while unset.
    for name, unset in LATER_FIELDS.items():
        if fields.get(name) == unset:
            fields.pop(name, None)
    blob = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:10]


def teacher_path(recipe: TeacherConfig, cache_dir=None) -> Path:
    cache_dir = resolve_teacher_cache(cache_dir)
    return cache_dir / f"{recipe.dataset}-{recipe.model}-{recipe_key(recipe)}.pt"


def weights_digest(model_or_state: nn.Module | dict) -> str:
    """The sha256 (hex) of a model's weights: every state-dict tensor, in name order, as its
    name, dtype, shape and bytes. Equal weights give equal digests, whatever the file holds."""
    state = model_or_state.state_dict() if isinstance(model_or_state, nn.Module) else model_or_state
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def build_teacher(recipe: TeacherConfig) -> nn.Module:
    info = dataset_info(recipe.dataset)
    return build(recipe.model, num_classes=info.num_classes, channels=info.channels,
                 **recipe.model_kwargs)


def train_teacher(recipe: TeacherConfig, *, data_root=None, device="cpu", progress=True,
                  num_workers: int = 0):
    """Train a teacher from its recipe: SGD with Nesterov momentum and a one-cycle schedule
    (the lr rises to `lr` over the first `warmup` share of the steps, then anneals) on the
    cross-entropy with label smoothing e (`label_smoothing`, 0 by default),

        L = mean over samples (over labelled pixels, for segmentation) of
            -sum_c q_c log softmax(T(x))_c,    q = (1 - e) onehot(y) + e / C

    where pixels labelled `ignore_index` (void) do not count. Only the train split, less its
    validation images (`recipe.val_size`, data/validation.py), trains (real
    datasets with their augmentation, e.g. CamVid's random crops and flips); the test split,
    or a fixed sample of `recipe.eval_size` of it, gives the score recorded with the teacher.
    An in-memory classification split lives on the device and its batches are cut and
    augmented there (data/on_device.py: crop with `padding_mode`, flip, `cutout`); any other
    goes through a DataLoader with `num_workers`.
    Returns (model, top-1 accuracy) for classification, (model, mIoU) for segmentation.
    """
    info = dataset_info(recipe.dataset)
    if info.task not in ("classification", "segmentation"):
        raise UserError(f"no teacher recipe for {recipe.dataset!r} (task {info.task})")
    device = torch.device(device)
    # Both splits are opened (and so checked) before any training: a damaged test file is
    # reported now, not after the minutes of training it would otherwise follow.
    test = eval_loader(get_dataset(recipe.dataset, "test", data_root), size=recipe.eval_size,
                       device=device)
    torch.manual_seed(recipe.seed)
    train = get_dataset(recipe.dataset, "train", data_root, **_train_kwargs(info))
    keep = list(range(len(train)))
    if recipe.val_size:  # the validation split is held out (data/validation.py)
        keep = training_indices(len(train), size=recipe.val_size, seed=recipe.val_seed)
    if recipe.train_size is not None:
        keep = keep[:recipe.train_size]
    epochs_of, steps = _batches(recipe, Subset(train, keep), info, device, num_workers)
    memory_format = torch.channels_last if recipe.channels_last else torch.preserve_format
    amp = resolve_amp(recipe.amp, device)
    model = build_teacher(recipe).to(device, memory_format=memory_format)
    fused = {"fused": True} if device.type == "cuda" else {}  # one kernel per step on a GPU
    opt = torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                          weight_decay=recipe.weight_decay, nesterov=True, **fused)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=recipe.lr, total_steps=recipe.epochs * steps, pct_start=recipe.warmup)
    ignore = info.ignore_index if info.ignore_index is not None else -100
    bar = tqdm(total=recipe.epochs * steps, disable=not progress,
               desc=f"teacher {recipe.model} on {recipe.dataset}", dynamic_ncols=True)
    model.train()
    for _ in range(recipe.epochs):
        for x, y in epochs_of():
            x, y = x.to(device, memory_format=memory_format), y.to(device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                loss = nn.functional.cross_entropy(model(x), y, ignore_index=ignore,
                                                   label_smoothing=recipe.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()
    model.eval()
    if info.task == "segmentation":
        return model, evaluate(model, test, info=info, device=device)["miou"]
    return model, accuracy(model, test, device=device)


def _batches(recipe: TeacherConfig, train: Subset, info, device: torch.device,
             num_workers: int):
    """(a callable giving one epoch's batches, batches per epoch) for the teacher's training
    split: on the device for an in-memory classification split (the same batches as the
    DataLoader when nothing is augmented; data/on_device.py), else a shuffling DataLoader."""
    order = torch.Generator().manual_seed(recipe.seed)
    drop_last = len(train) > recipe.batch_size
    steps = (len(train) // recipe.batch_size if drop_last
             else -(-len(train) // recipe.batch_size))
    found = uint8_tensors(train) if info.task == "classification" else None
    if found is not None:
        split = DeviceSplit.of(train, device)
        augment = (Augment(padding=found[5], padding_mode=recipe.padding_mode,
                           cutout=recipe.cutout) if found[4] else None)
        draws = torch.Generator(device).manual_seed(recipe.seed)
        return (lambda: split.epoch(recipe.batch_size, order=order, drop_last=drop_last,
                                    augment=augment, generator=draws)), steps
    if recipe.cutout or recipe.padding_mode != "zeros":
        raise UserError(f"cutout and padding_mode apply to in-memory image classification; "
                        f"{recipe.dataset} is read otherwise: leave them at 0 and 'zeros'")
    loader = DataLoader(train, batch_size=recipe.batch_size, shuffle=True, drop_last=drop_last,
                        num_workers=num_workers, generator=order)
    return (lambda: loader), len(loader)


def _train_kwargs(info):
    # Real datasets take augmentation for the teacher's training split; embedded ones do not.
    return {} if info.embedded else {"train_transform": True}


def load_or_train_teacher(recipe: TeacherConfig, *, cache_dir=None, data_root=None,
                          device="cpu", progress=True, retrain=False):
    """The teacher for `recipe`: loaded from the cache if there, else trained and cached.

    Returns (model in eval mode, record) where the record holds path, sha256 (of the file on
    disk), weights_sha256 (of the weights, `weights_digest`), accuracy, whether it was trained
    now, the training time and the recipe.

    A file whose manifest entry matches is loaded at once. Anything else happens under the
    entry's lock (`.NAME.lock` in the cache): a second process asking for the same teacher
    waits, then loads the first one's. Under the lock, a file without a manifest entry (a
    kill between the two writes, a deleted manifest) is kept only if it verifies against the
    weights digest stored inside it, and retrained otherwise; a file that contradicts its
    entry is refused. A cache that cannot be written is a one-line error before any training.
    """
    path = teacher_path(recipe, cache_dir)
    cache = path.parent
    stale = [f".{path.name}.*.tmp"]  # written only under this entry's lock
    if not retrain:
        found = _from_cache(path, recipe)
        if found is not None:
            if any(p for pattern in stale for p in cache.glob(pattern)) and os.access(
                    cache, os.W_OK):
                with hold_lock(cache / f".{path.name}.lock"):
                    for pattern in stale:
                        remove_stale_temporaries(cache, pattern=pattern)
            return _loaded(found, device, path, recipe)
    with writing_into(cache, what=f"the teacher {path.name}"):
        cache.mkdir(parents=True, exist_ok=True)
    require_writable(cache)
    with hold_lock(cache / f".{path.name}.lock",
                   waiting=f"waiting for another process training the teacher {path.name}"):
        for pattern in stale:  # what a killed write of this entry left
            remove_stale_temporaries(cache, pattern=pattern)
        if not retrain:
            found = _from_cache(path, recipe, under_lock=True)
            if found is not None:
                return _loaded(found, device, path, recipe)
        start = time.perf_counter()
        model, acc = train_teacher(recipe, data_root=data_root, device=device,
                                   progress=progress)
        seconds = time.perf_counter() - start
        weights = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        # No time or host in the file: identical weights give an identical file (and sha256).
        state = {"format": TEACHER_FORMAT, "config": dataclasses.asdict(recipe),
                 "state_dict": weights, "accuracy": acc,
                 "weights_sha256": weights_digest(weights),
                 "torch_version": str(torch.__version__)}
        with writing_into(cache, what=f"the teacher {path.name}"):
            atomic_write(path, lambda tmp: save_reproducibly(state, tmp))
            digest = sha256_file(path)
            record_in_manifest(cache, path.name, {
                "sha256": digest, "accuracy": acc, "dataset": recipe.dataset,
                "model": recipe.model, "train_seconds": round(seconds, 1),
                "recipe": dataclasses.asdict(recipe)})
    return model.eval(), {"path": str(path), "sha256": digest,
                          "weights_sha256": state["weights_sha256"], "accuracy": acc,
                          "trained_now": True, "train_seconds": seconds,
                          "recipe": dataclasses.asdict(recipe)}


def _from_cache(path: Path, recipe: TeacherConfig, *, under_lock: bool = False):
    """(model, file sha256, accuracy, train_seconds) of a trusted cached file, else None.

    Without the lock only a file that matches its manifest entry is trusted (anything else may
    be a write in progress). Under the lock a mismatch is a one-line `UserError`; a file with
    no entry is verified by its stored weights digest, entered in the manifest if it passes,
    and otherwise left to be retrained.
    """
    if not path.is_file():
        return None
    entry = read_manifest(path.parent / MANIFEST).get(path.name)
    digest = sha256_file(path)
    if entry is not None:
        if entry["sha256"] != digest:
            if not under_lock:
                return None  # perhaps another process is between its two writes: ask the lock
            raise UserError(f"teacher checkpoint {path} does not match its sha256 in "
                            f"{path.parent / MANIFEST}; delete the file to retrain it")
        model, state = load_teacher_file(path, recipe)
        return model, digest, state["accuracy"], entry.get("train_seconds")
    if not under_lock:
        return None
    verified = _verify(path, recipe)
    if verified is None:
        return None
    model, state = verified
    record_in_manifest(path.parent, path.name, {
        "sha256": digest, "accuracy": state["accuracy"], "dataset": recipe.dataset,
        "model": recipe.model, "train_seconds": None, "recipe": dataclasses.asdict(recipe),
        "verified_without_entry": True})
    return model, digest, state["accuracy"], None


def _verify(path: Path, recipe: TeacherConfig):
    """(model, state) if `path` is the kit's teacher for `recipe` and its weights match the
    digest stored with them; None otherwise (damaged, foreign, or of another recipe)."""
    try:
        model, state = load_teacher_file(path, recipe)
    except UserError:
        return None
    same_recipe = (json.dumps(state.get("config"), sort_keys=True, default=list)
                   == json.dumps(dataclasses.asdict(recipe), sort_keys=True, default=list))
    if (state.get("format") != TEACHER_FORMAT or not same_recipe
            or state.get("weights_sha256") != weights_digest(model)):
        return None
    return model, state


def _loaded(found, device, path: Path, recipe: TeacherConfig):
    model, digest, accuracy, seconds = found
    return model.to(device).eval(), {
        "path": str(path), "sha256": digest, "weights_sha256": weights_digest(model),
        "accuracy": accuracy, "trained_now": False, "train_seconds": seconds,
        "recipe": dataclasses.asdict(recipe)}


def load_teacher_file(path, recipe: TeacherConfig):
    """Load a teacher file: ours (with config and accuracy) or a published state dict (DFAD's
    layouts, see `models/published.py`)."""
    state = load_torch(path, what="teacher checkpoint", hint="run the teacher command again")
    model = build_teacher(recipe)
    if isinstance(state, dict) and state.get("format") == TEACHER_FORMAT:
        weights, accuracy = state.get("state_dict"), state.get("accuracy")
        if (not isinstance(weights, dict)
                or not all(isinstance(v, torch.Tensor) for v in weights.values())
                or not (accuracy is None or isinstance(accuracy, (int, float)))):
            raise UserError(f"teacher checkpoint {path} is damaged (no state dict of tensors or "
                            f"no accuracy); delete it and run the teacher command again")
        try:
            model.load_state_dict(weights)
        except RuntimeError as e:
            first = str(e).splitlines()[0]
            raise UserError(f"teacher checkpoint {path} does not fit model {recipe.model!r} "
                            f"({first}); {ARCHITECTURE_HINT}") from None
        return model, state
    try:  # a published state dict, as DFAD published its teachers
        layout = load_published(model, state)
    except UserError as e:
        raise UserError(f"teacher checkpoint {path} does not fit model {recipe.model!r} "
                        f"{dict(recipe.model_kwargs)} for {recipe.dataset}: {e}; "
                        f"{ARCHITECTURE_HINT}") from None
    return model, {"accuracy": None, "layout": layout}
