"""One command, one GPU, about ten minutes: CIFAR-10's teacher and its DDAD student, measured.

    python -m ddad_lite gpu-reproduce --data cifar10-jpeg.zip --out results/    (make gpu)

The phases, each timed (`reproduction.json`, `phases`):

  environment  torch and its CUDA, the GPU, nvidia-smi, the commit; the device is checked
               before any work (asking for CUDA where there is none is one line)
  data         the dataset prepared from --data into the work folder (once: a prepared and
               verified copy is reused)
  bench        DDAD iterations of the run's own models and batch (a teacher with random
               weights: time does not depend on their values): seconds per iteration, FLOPs
               per iteration and each model's share, achieved TFLOP/s beside the device's
               measured bf16 matrix-product rate (bench.py)
  teacher      the profile's teacher recipe (the fast one for `gpu`), cached in the work folder
  distill      the method on the profile's schedule with `iterations` sized from the bench to
               the time left (`--set iterations=N`: at most N), the lr milestones scaled
               with it, and `time_limit` as a deadline behind that (the run still evaluates
               and writes everything if it is reached)
  results      the results folder, small enough to send anywhere, never a checkpoint

The results folder holds at most eight files, each far under 16 MiB:

  log.txt            everything the command printed (tracebacks too)
  reproduction.json  environment, budget, the time of each phase, the headline figures, status
  bench.json         the bench's figures
  teacher.json       the teacher's accuracy, time, images per second, recipe and sha256
  metrics.json       the run's metrics (final, mean and validation-chosen best accuracy, ...)
  history.json       the run's curves
  report.png         the run's picture (reports/run_report.py)
  snapshots.png      G's images at the last snapshot, with T's and S's predictions

The work folder (--work, default OUT-work) keeps the prepared data, the teacher cache and the
run folder with its checkpoint. On a CPU the same command runs end to end with a small budget
and smaller settings (tests/test_gpu_reproduce.py): the path a GPU takes, only the sizes differ.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

import torch

from ..bench import build_distiller, flop_figures
from ..config.building import check_device, make_config
from ..data import dataset_info, get_dataset
from ..data.prepare import prepare_dataset
from ..errors import UserError
from ..files import load_json, save_bytes, save_json
from ..hardware import resolve_amp
from ..paths import SOURCE_ROOT
from ..provenance import provenance
from ..reports.run_report import snapshot_png
from ..teacher import build_teacher, load_or_train_teacher
from .run import run_distillation

RESULT_FILES = ("log.txt", "reproduction.json", "bench.json", "teacher.json", "metrics.json",
                "history.json", "report.png", "snapshots.png")
# Seconds kept back from the distillation's share of the budget for what follows its loop:
# the teacher scored on the test split, metrics, the report and the results folder.
RESERVE_SECONDS = 25.0
# The bench's seconds per iteration times this is what the sizing plans on: evaluations,
# logging, snapshots and the first iterations add to the loop's own time. The first GPU run
# (docs/results/gpu-2026-12-04) planned with 1.1 and averaged 1.26 x the bench: its deadline
# ended the loop 404 iterations short of the schedule.
PLANNING_MARGIN = 1.3
# The most of the budget the teacher's training may take; the recipe's epochs are cut to fit.
TEACHER_SHARE = 0.35


class Tee:
    """A text stream that writes to a stream and a file alike (the results' log.txt)."""

    def __init__(self, stream, file):
        self.stream, self.file = stream, file

    def write(self, text):
        self.stream.write(text)
        self.file.write(text)
        return len(text)

    def flush(self):
        self.stream.flush()
        self.file.flush()

    def isatty(self):
        return False


@contextmanager
def logged_to(path: Path):
    """Everything printed inside the block also goes to `path` (stdout and stderr)."""
    with open(path, "a", encoding="utf-8") as file:
        out, err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = Tee(out, file), Tee(err, file)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            sys.stdout, sys.stderr = out, err


def say(text: str) -> None:
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {text}", flush=True)


def environment(device: str) -> dict:
    """The machine and software: provenance, CUDA, the GPU and nvidia-smi's report."""
    env = {**provenance(device), "cpu_count": os.cpu_count(), "node": platform.node(),
           "cuda_available": torch.cuda.is_available(),
           "torch_cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()}
    if torch.device(device).type == "cuda":
        props = torch.cuda.get_device_properties(torch.device(device))
        env.update(gpu_name=props.name, gpu_memory_gib=round(props.total_memory / 2**30, 1),
                   gpu_capability=f"{props.major}.{props.minor}",
                   gpu_multiprocessors=props.multi_processor_count)
    env["nvidia_smi"] = _nvidia_smi()
    return env


def _nvidia_smi() -> str | None:
    try:
        found = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,"
                                "clocks.sm,clocks.max.sm,power.limit", "--format=csv"],
                               capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None


def plan_iterations(cfg, *, seconds_left: float, seconds_per_iteration: float,
                    at_most: int | None = None) -> int:
    """The iterations that fit `seconds_left` at the bench's pace (with PLANNING_MARGIN), at
    least 1 and at most the dataset's `full` profile's (DFAD's schedule) or `at_most`."""
    fit = int(seconds_left / (seconds_per_iteration * PLANNING_MARGIN) + 1e-9)
    full = make_config(cfg.dataset, cfg.method, "full", data_root=cfg.data_root).iterations
    return max(1, min(fit, full, at_most or full))


def reproduce_on_gpu(*, out, data=None, work=None, dataset: str = "cifar10",
                     method: str = "ddad", profile: str = "gpu", device: str = "cuda",
                     budget: float = 540.0, bench_iters: int = 5,
                     overrides: dict | None = None) -> dict:
    """Run the phases (module docstring) within `budget` seconds of wall time from the call;
    returns reproduction.json's content. `overrides`: settings of the run (as `--set`)."""
    out = Path(out)
    work = Path(work) if work is not None else out.with_name(out.name + "-work")
    # A user's mistake is one line before anything is written: the device, the settings.
    check_device(device)
    overrides = {"device": device, "data_root": str(work / "data"), "progress": False,
                 **dict(overrides or {})}
    make_config(dataset, method, profile, **overrides)
    stale = [name for name in RESULT_FILES if (out / name).exists()]
    if stale:
        raise UserError(f"{out} already holds results ({', '.join(stale[:3])}); choose another "
                        "--out or remove them")
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    record = {"status": "running", "command": sys.argv, "budget_seconds": budget,
              "dataset": dataset, "method": method, "profile": profile, "phases": {},
              "started": datetime.datetime.now(datetime.timezone.utc).isoformat(
                  timespec="seconds")}
    with logged_to(out / "log.txt"):
        try:
            _phases(record, out=out, work=work, data=data, dataset=dataset, method=method,
                    profile=profile, device=device, budget=budget, started=started,
                    bench_iters=bench_iters, overrides=overrides)
            record["status"] = "finished"
        except BaseException as e:
            record["status"] = "failed"
            record["failure"] = f"{type(e).__name__}: {e}"
            if not isinstance(e, UserError):
                traceback.print_exc()
            say(f"failed in phase {record.get('phase')}: {record['failure']}")
            raise
        finally:
            record["wall_seconds"] = round(time.perf_counter() - started, 1)
            record["gpu_minutes"] = round(record["wall_seconds"] / 60, 2)
            save_json(out / "reproduction.json", record)
            say(f"{record['status']} in {record['wall_seconds']} s; results in {out}")
    return record


@contextmanager
def _phase(record: dict, name: str, out: Path):
    """Time one phase into `record["phases"]` and save the record after it."""
    record["phase"] = name
    say(f"phase {name}")
    start = time.perf_counter()
    yield
    record["phases"][name] = round(time.perf_counter() - start, 2)
    say(f"phase {name} done in {record['phases'][name]:.1f} s")
    save_json(out / "reproduction.json", record)


def _phases(record, *, out, work, data, dataset, method, profile, device, budget, started,
            bench_iters, overrides):
    with _phase(record, "environment", out):
        if torch.device(device).type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN time its kernels
        cfg = make_config(dataset, method, profile, **overrides)
        record["environment"] = environment(device)
        say(f"torch {torch.__version__} (CUDA {torch.version.cuda}) on "
            f"{record['environment']['device_name']}")
        if record["environment"]["nvidia_smi"]:
            print(record["environment"]["nvidia_smi"], flush=True)

    with _phase(record, "data", out):
        info = dataset_info(dataset)
        if not info.embedded:  # without --data: downloaded and verified (data/prepare.py)
            prepare_dataset(dataset, source=None if data is None else str(data),
                            root=str(work / "data"), progress=False)

    with _phase(record, "bench", out):
        engine = build_distiller(cfg)
        seconds = _seconds_per_iteration(engine, warmup=2, iters=bench_iters)
        bench = {"setting": f"{dataset} {cfg.teacher} -> {cfg.student}, {method}",
                 "batch_size": cfg.batch_size, "student_steps": cfg.student_steps,
                 "amp_dtype": str(engine.amp_dtype).removeprefix("torch."),
                 "channels_last": cfg.channels_last, "iters": bench_iters,
                 "seconds_per_iteration": seconds,
                 "images_per_second": engine.images_per_iteration / seconds,
                 **flop_figures(engine, seconds)}
        _release(engine, device)
        # What limits an iteration: half the batch (about as long: the host's launches, not
        # the device's arithmetic) and the same batch without the BN hooks (DFAD's loop).
        bench["variants"] = {}
        for name, changes in (("half_batch", {"batch_size": max(1, cfg.batch_size // 2)}),
                              ("dfad_same_batch", {"method": "dfad"})):
            variant = make_config(dataset, changes.get("method", method), profile, **{
                **overrides, **{k: v for k, v in changes.items() if k != "method"}})
            engine = build_distiller(variant)
            bench["variants"][name] = {
                "batch_size": variant.batch_size, "method": variant.method,
                "seconds_per_iteration": _seconds_per_iteration(engine, warmup=1, iters=3)}
            _release(engine, device)
        bench["teacher_step_seconds"] = _teacher_step_seconds(cfg.teacher_recipe, device)
        _free(device)
        save_json(out / "bench.json", bench)
        say(f"bench: {seconds * 1000:.1f} ms an iteration, "
            f"{bench['images_per_second']:.0f} synthetic images/s, "
            f"{_fmt(bench.get('achieved_tflops'))} TFLOP/s "
            f"(bf16 matmul ceiling {_fmt(bench.get('matmul_bf16_tflops'))}); "
            + ", ".join(f"{k} {v['seconds_per_iteration'] * 1000:.1f} ms"
                        for k, v in bench["variants"].items())
            + f"; a teacher step {bench['teacher_step_seconds'] * 1000:.1f} ms")

    with _phase(record, "teacher", out):
        recipe = cfg.teacher_recipe
        steps = -(-_training_images(cfg) // recipe.batch_size)
        epochs = plan_teacher_epochs(recipe, budget=budget, steps_per_epoch=steps,
                                     step_seconds=bench["teacher_step_seconds"])
        if epochs != recipe.epochs:
            say(f"teacher: {recipe.epochs} epochs would take more than "
                f"{TEACHER_SHARE:.0%} of the budget at the bench's pace; {epochs} instead")
            recipe = dataclasses.replace(recipe, epochs=epochs)
            overrides["teacher_recipe"] = {**overrides.get("teacher_recipe", {}),
                                           "epochs": epochs}
            cfg = make_config(dataset, method, profile, **overrides)
        say(f"teacher {recipe.model}: {recipe.epochs} epochs of {steps} steps "
            f"(about {recipe.epochs * steps * bench['teacher_step_seconds']:.0f} s)")
        teacher = load_or_train_teacher(recipe, cache_dir=work / "teachers",
                                        data_root=cfg.data_root, device=device,
                                        progress=False)
        model, found = teacher
        trained = _training_images(cfg) * recipe.epochs
        teacher_record = {**{k: found[k] for k in ("accuracy", "sha256", "weights_sha256",
                                                   "trained_now", "train_seconds")},
                          "model": recipe.model, "epochs": recipe.epochs,
                          "training_images_seen": trained,
                          "images_per_second": (trained / found["train_seconds"]
                                                if found.get("train_seconds") else None),
                          "recipe": found["recipe"]}
        save_json(out / "teacher.json", teacher_record)
        how = (f"trained in {found['train_seconds']:.1f} s" if found["trained_now"]
               else "from the cache")
        say(f"teacher {recipe.model}: test accuracy {found['accuracy']:.4f} ({how})")

    with _phase(record, "distill", out):
        seconds_left = budget - (time.perf_counter() - started) - RESERVE_SECONDS
        if seconds_left <= 0:
            raise UserError(f"no time left to distil within the budget of {budget:.0f} s "
                            f"(the teacher took {record['phases']['teacher']:.0f} s); give a "
                            "larger --budget")
        iterations = plan_iterations(  # --set iterations=N: at most N
            cfg, seconds_left=seconds_left, seconds_per_iteration=bench["seconds_per_iteration"],
            at_most=int(overrides["iterations"]) if "iterations" in overrides else None)
        run_cfg = make_config(dataset, method, profile, **{
            **overrides, "iterations": iterations,
            # The deadline behind the plan: the run's wall time includes loading the teacher.
            "time_limit": round(seconds_left, 1)})
        say(f"distil: {iterations} iterations planned in {seconds_left:.0f} s "
            f"(lr x{run_cfg.lr_gamma} at iterations "
            f"{', '.join(str(round(f * iterations)) for f in run_cfg.lr_milestones) or '-'})")
        run_dir = work / "runs" / datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        metrics = run_distillation(run_cfg, run_dir, cache_dir=work / "teachers",
                                   teacher=teacher, callback=_print_progress)

    with _phase(record, "results", out):
        for name in ("metrics.json", "history.json", "report.png"):
            shutil.copyfile(run_dir / name, out / name)
        snapshots = torch.load(run_dir / "snapshots.pt", weights_only=False)
        if snapshots:
            save_bytes(out / "snapshots.png", snapshot_png(snapshots[-1], info.class_names))
        key = "student_acc"
        record["headline"] = {
            "teacher_acc": metrics.get("teacher_acc"),
            "student_final": metrics.get(key), "student_mean": metrics.get("mean_" + key),
            "student_best": metrics.get("best_" + key),
            "best_selected_on": metrics.get("best_selected_on"),
            "student_best_on_test": metrics.get("best_on_test_" + key),
            "iterations": metrics.get("iterations"),
            "planned_iterations": metrics.get("planned_iterations"),
            "stopped_by": metrics.get("stopped_by"),
            "synthetic_images": metrics.get("synthetic_images"),
            "share_of_dfad_images": metrics.get("share_of_full_profile"),
            "distill_wall_seconds": metrics.get("wall_seconds"),
        }
        record["run_folder"] = str(run_dir)
        say("headline: " + json.dumps(record["headline"]))


def plan_teacher_epochs(recipe, *, budget: float, steps_per_epoch: int,
                        step_seconds: float) -> int:
    """The recipe's epochs, or fewer (at least 1) where they would take more than
    TEACHER_SHARE of the budget at the bench's pace: the student needs the rest."""
    affordable = int(TEACHER_SHARE * budget / (steps_per_epoch * step_seconds * PLANNING_MARGIN))
    return max(1, min(recipe.epochs, affordable))


def _seconds_per_iteration(engine, *, warmup: int, iters: int) -> float:
    """Seconds per training iteration after `warmup` untimed ones (cuDNN's autotuning, the
    allocator and lazy initialisation happen there), measured to the device's completion."""
    for _ in range(warmup):
        engine.train_iteration()
    _synchronize(engine.device)
    start = time.perf_counter()
    for _ in range(iters):
        losses = engine.train_iteration()
    float(losses["loss_S"])  # waits for the device
    return (time.perf_counter() - start) / iters


def _teacher_step_seconds(recipe, device, *, warmup: int = 3, iters: int = 5) -> float:
    """Seconds of one training step of the teacher's recipe (model, batch, precision, layout)
    on random images: the pace the teacher's epochs are planned with."""
    device = torch.device(device)
    info = dataset_info(recipe.dataset)
    layout = torch.channels_last if recipe.channels_last else torch.preserve_format
    model = build_teacher(recipe).to(device, memory_format=layout).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    x = torch.randn(recipe.batch_size, info.channels, info.image_size, info.image_size,
                    device=device).contiguous(memory_format=layout)
    y = torch.randint(0, info.num_classes, (recipe.batch_size,), device=device)
    amp = resolve_amp(recipe.amp, device)

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    for _ in range(warmup):
        step()
    _synchronize(device)
    start = time.perf_counter()
    for _ in range(iters):
        loss = step()
    float(loss.detach())
    return (time.perf_counter() - start) / iters  # the model goes with this frame


def _release(engine, device) -> None:
    engine.close()
    del engine
    _free(device)


def _training_images(cfg) -> int:
    """The teacher's training images an epoch: the train split less validation and slice."""
    recipe = cfg.teacher_recipe
    n = len(get_dataset(cfg.dataset, "train", cfg.data_root)) - recipe.val_size
    return min(n, recipe.train_size) if recipe.train_size is not None else n


def _print_progress(distiller, event: str) -> None:
    """One line per evaluation: the scores, the last logged losses and the wall time."""
    if event != "eval":
        return
    last = distiller.history["eval"][-1]
    line = (f"iteration {distiller.step}/{distiller.cfg.iterations}: "
            f"val {last.get('val_student_acc', math.nan):.4f}, "
            f"test {last.get('student_acc', math.nan):.4f}")
    if distiller.history["train"]:
        train = distiller.history["train"][-1]
        line += (f"; at iteration {train['iteration']} L_S {train['loss_S']:.4f}, "
                 f"L_G {train['loss_G']:.3f}")
    say(f"{line}; {distiller.elapsed_wall_seconds():.0f} s")


def _synchronize(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _free(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.empty_cache()


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def shipped_gpu_runs() -> list[Path]:
    """The GPU results that ship with the repository (docs/results/gpu-*), oldest first;
    empty where the kit was installed without its repository (e.g. from a wheel)."""
    return sorted((SOURCE_ROOT / "docs" / "results").glob("gpu-*/reproduction.json"))


def read_gpu_run(folder) -> dict:
    """A results folder as one dict: reproduction.json's record, with the run's `metrics`,
    `history`, `bench` and `teacher` beside it (for notebook 04 and the docs)."""
    folder = Path(folder)
    record = load_json(folder / "reproduction.json", what="reproduction record")
    for name in ("metrics", "history", "bench", "teacher"):
        record[name] = load_json(folder / f"{name}.json", what=f"the run's {name}")
    record["folder"] = folder
    return record
