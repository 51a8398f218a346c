"""Worked solutions of notebook 06's exercises.

`solution_N(**context)` returns answer_N; `context` is the notebook's parameters (profile,
device, out_dir, cache_dir, data_root, and `seed` or `seeds`: seed 0 here). Runs go to the
series' shared folder, so those the notebook made are read back. The checks are in
`ddad_lite/lessons/replay_exercises.py`.
"""

from ddad_lite.lessons.series import series_runner
from ddad_lite.runs.replay_samples import replay_samples_from_run


def _runner(profile="quick", device="cpu", out_dir="runs/interactive/06_pseudo_replay",
            cache_dir=None, data_root=None, **_):
    """run(method, **settings) -> the sweep row of seed 0 on the series' schedule."""
    run_methods, _ = series_runner(profile=profile, device=device, out_dir=out_dir,
                                   cache_dir=cache_dir, data_root=data_root)
    return lambda method, **settings: run_methods([method], seeds=[0], **settings)[0]


def solution_1(**context):
    """At the series' short budget DFAD's student has learnt little on shapes (its generator
    first inflates T's logits on images of about one class), with replay or without: replay
    protects what a student has learnt, and this one has learnt little to protect."""
    run = _runner(**context)
    return {m: run(m)["final"] for m in ("dfad", "dfad+replay")}


def solution_2(**context):
    """Final accuracy with an eighth (the default) and a half of each batch replayed. Replay
    pays once the VAE has learnt something worth replaying: late in training, or with a
    warm-up (`replay_warmup`)."""
    run = _runner(**context)
    return {f: run("ddad+replay", replay_fraction=f)["final"] for f in (0.125, 0.5)}


def solution_3(**context):
    """How far the VAE's samples move (same z) when it no longer learns what the teacher sees
    in its images: the reconstruction loss alone favours blurrier, pixel-average samples."""
    run = _runner(**context)
    default = replay_samples_from_run(run("ddad+replay")["run_dir"], n=16).float()
    off = run("ddad+replay", replay_teacher_reconstruction=False)["run_dir"]
    moved = (replay_samples_from_run(off, n=16).float() - default).abs().mean() / 255
    return {"replay_teacher_reconstruction": float(moved)}


def solution_4(**context):
    """Forgetting with the reservoir buffer (a uniform sample of the whole stream) and with a
    FIFO one (only the latest images): FIFO remembers only what the student just saw, so it
    is expected to forget more over a long run."""
    run = _runner(**context)
    return {"reservoir": run("ddad+buffer")["forgetting"],
            "fifo": run("ddad+buffer", buffer_policy="fifo")["forgetting"]}


def solution_5(**context):
    """best_on_test - best >= 0 always: the best on test is the maximum over the very
    evaluations it reports, so it is chosen by the split that scores it and is biased upwards;
    the best chosen on validation is an honest test score."""
    row = _runner(**context)("ddad+replay")
    return row["best_on_test"] - row["best"]
