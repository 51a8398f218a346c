"""Reports: every run's report.html (self-contained) and report.png, the comparison of runs,
the series' index, and TensorBoard events; each figure closed once drawn."""

import json
import re
import sys

import matplotlib.pyplot as plt
import pytest
import torch
from PIL import Image

from ddad_lite.cli.main import main
from ddad_lite.errors import UserError
from ddad_lite.files import save_json, save_torch
from ddad_lite.reports import write_comparison, write_run_report
from ddad_lite.reports.series_index import write_series_index
from ddad_lite.viz.report_figures import agreement, loss_keys


def fake_run(folder, *, bn=True, accuracy=0.5, channels=3):
    """The files a finished run leaves (history, snapshots, metrics), small and made up."""
    train = [{"iteration": i, "loss_S": 1.0 / i, "loss_G": 2.0 - i / 10, "loss_bn": 0.5,
              "loss_adv": 0.1 * i, "lr_student": 0.1} for i in range(1, 7)]
    evals = [{"iteration": i, "student_acc": accuracy * i / 6, "val_student_acc": accuracy}
             for i in (3, 6)]
    layers = [{"iteration": i, "conv1": 1.0 / i, "conv2": 2.0 / i} for i in range(1, 7)]
    history = {"train": train, "eval": evals, "bn_layers": layers if bn else []}
    generator = torch.Generator().manual_seed(0)
    snapshots = [{"iteration": i,
                  "images": torch.randint(0, 256, (8, channels, 16, 16), dtype=torch.uint8,
                                          generator=generator),
                  "teacher_pred": torch.tensor([0, 1, 2, 3, 0, 1, 2, 3]),
                  "student_pred": torch.tensor([0, 1, 2, 3, 3, 3, 3, 3]),
                  "teacher_class_entropy": 0.9} for i in (2, 4, 6)]
    metrics = {"dataset": "shapes", "method": "ddad", "profile": "smoke", "teacher_acc": 0.9,
               "student_acc": accuracy, "iterations": 6, "config": {"seed": 0}}
    save_json(folder / "history.json", history)
    save_torch(folder / "snapshots.pt", snapshots)
    save_json(folder / "metrics.json", metrics)
    return folder


def embedded_images(page: str) -> list[bytes]:
    import base64

    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"',
                                                     page)]


def test_a_run_report_is_self_contained_and_shows_every_section(tmp_path):
    run = fake_run(tmp_path / "run")
    open_before = plt.get_fignums()
    path = write_run_report(run)
    page = path.read_text()
    assert path == run / "report.html"
    for section in ("Training curves", "Generated images over training",
                    "Teacher and student", "BN match per layer"):
        assert f"<h2>{section}</h2>" in page
    images = embedded_images(page)
    assert len(images) == 5 and all(png.startswith(b"\x89PNG") for png in images)
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing outside the page
    assert "<script" not in page
    assert Image.open(run / "report.png").size[0] > 300
    assert plt.get_fignums() == open_before  # every figure closed


def test_a_run_without_bn_history_has_no_bn_section(tmp_path):
    page = write_run_report(fake_run(tmp_path / "run", bn=False, channels=1)).read_text()
    assert "BN match" not in page and "Generated images" in page


def test_loss_keys_and_agreement_read_what_runs_log():
    history = {"train": [{"iteration": 1, "loss_adv": 0.1, "loss_G": 1.0, "loss_S": 2.0,
                          "lr_student": 0.1}]}
    assert loss_keys(history) == ["loss_S", "loss_G", "loss_adv"]
    snapshot = {"teacher_pred": torch.tensor([1, 2, 3, 4]),
                "student_pred": torch.tensor([1, 2, 0, 0])}
    assert agreement(snapshot) == 0.5


def test_runs_compare_on_one_page_and_one_run_is_refused(tmp_path):
    a = fake_run(tmp_path / "a" / "run", accuracy=0.3)
    b = fake_run(tmp_path / "b" / "run", accuracy=0.7)
    page = write_comparison([a, b], tmp_path / "compare.html").read_text()
    assert "<th>a/run</th>" in page and "<th>b/run</th>" in page  # clashing names told apart
    assert "<td>0.3</td>" in page and "<td>0.7</td>" in page
    assert page.count("<h2>Run ") == 2
    with pytest.raises(UserError, match="two runs"):
        write_comparison([a], tmp_path / "one.html")


def test_report_command(tmp_path, capsys):
    a, b = fake_run(tmp_path / "a"), fake_run(tmp_path / "b")
    assert main(["report", str(a)]) == 0
    assert capsys.readouterr().out.strip() == str(a / "report.html")
    out = tmp_path / "both.html"
    assert main(["report", str(a), str(b), "--out", str(out)]) == 0 and out.is_file()
    assert main(["report", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a finished run folder" in err


def test_the_series_index_links_every_notebook_and_the_table(tmp_path):
    root = tmp_path / "smoke"
    results = {"provenance": {"profile": "smoke", "git_commit": "abc"}, "total_seconds": 3.0,
               "notebooks": [
                   {"notebook": "00_a", "status": "ok", "wall_seconds": 1.0,
                    "path": str(root / "notebooks" / "00_a.ipynb"),
                    "html": str(root / "notebooks" / "00_a.html"),
                    "key_figures": {"student_acc": 0.5}},
                   {"notebook": "01_b", "status": "failed", "wall_seconds": 2.0,
                    "path": str(root / "notebooks" / "01_b.ipynb"), "error": "ValueError: x"}]}
    page = write_series_index(root, results).read_text()
    assert 'href="notebooks/00_a.html"' in page and 'href="notebooks/00_a.ipynb"' in page
    assert 'href="notebooks/01_b.ipynb"' in page and "ValueError: x" in page
    assert "student_acc 0.5" in page and 'href="results.md"' in page


def test_tensorboard_events_hold_the_history_and_the_images(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from ddad_lite.reports.tensorboard import write_tensorboard

    log_dir = write_tensorboard(fake_run(tmp_path / "run"))
    events = EventAccumulator(str(log_dir), size_guidance={"images": 0, "scalars": 0})
    events.Reload()
    tags = events.Tags()
    assert {"train/loss_S", "train/loss_adv", "eval/student_acc", "bn/conv1",
            "generated/student_agrees_with_teacher"} <= set(tags["scalars"])
    assert [e.step for e in events.Scalars("eval/student_acc")] == [3, 6]
    assert [e.value for e in events.Scalars("generated/student_agrees_with_teacher")] == \
        [0.625] * 3  # 5 of the 8 images
    assert len(events.Images("generated/images")) == 3


def test_tensorboard_without_its_extra_is_one_line_before_any_run(tmp_path, monkeypatch,
                                                                 capsys):
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    out = tmp_path / "run"
    code = main(["distill", "--profile", "smoke", "--out", str(out), "--tensorboard",
                 "--cache-dir", str(tmp_path / "teachers"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "ddad-lite[tensorboard]" in err
    assert not out.exists() and not (tmp_path / "teachers").exists()  # nothing trained


def test_metrics_of_a_report_come_from_metrics_json(tmp_path):
    run = fake_run(tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    page = write_run_report(run).read_text()
    assert f"<td>{metrics['student_acc']}</td>" in page


def browser_console(page) -> list[str]:
    """The console messages of a headless Chromium opening `page` (a file)."""
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                           "--enable-logging=stderr", "--v=0", "--dump-dom",
                           page.resolve().as_uri()], capture_output=True, text=True,
                          timeout=120)
    assert "</html>" in done.stdout or "</body>" in done.stdout  # it opened the page
    return [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


@pytest.mark.skipif(not any(__import__("shutil").which(b)
                            for b in ("chromium", "chromium-browser")),
                    reason="no Chromium installed")
def test_pages_open_in_a_real_browser_without_console_errors(tmp_path):
    control = tmp_path / "control.html"
    control.write_text("<html><body><script>console.error('seen')</script></body></html>")
    assert browser_console(control)  # the check sees a console error where there is one
    a, b = fake_run(tmp_path / "a"), fake_run(tmp_path / "b")
    index = write_series_index(tmp_path / "smoke", {"provenance": {}, "notebooks": []})
    pages = [write_run_report(a), write_comparison([a, b], tmp_path / "c.html"), index]
    frames = tmp_path / "frames.html"  # one browser start for the three pages
    frames.write_text("<html><body>" + "".join(f'<iframe src="{p.resolve().as_uri()}">'
                                               "</iframe>" for p in pages) + "</body></html>")
    assert browser_console(frames) == []
