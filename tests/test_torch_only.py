"""The command line needs torch alone: a cluster node or a GPU box with a preinstalled torch has
no notebook extras, and a run that trains for an hour must not die writing its report.

Each command runs in a subprocess where importing ipywidgets, IPython, papermill or jupyter
(and their families) raises ImportError, as on a machine without them."""

import json
import subprocess
import sys

from conftest import PROJECT_ROOT, copy_teacher_cache

BLOCKED = ("ipywidgets", "IPython", "papermill", "jupyter", "jupyter_client", "jupyterlab",
           "ipykernel", "nbformat", "nbconvert", "nbval")

# A meta-path finder that refuses the notebook extras, then the kit's own command line.
PRELUDE = f"""
import sys
BLOCKED = {BLOCKED!r}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is blocked: this machine has torch alone")
sys.meta_path.insert(0, Block())
from ddad_lite.cli.main import main
code = main(sys.argv[1:])
leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
assert not leaked, leaked
sys.exit(code)
"""


def run_torch_only(*args, cache):
    env = {"PYTHONPATH": str(PROJECT_ROOT), "OMP_NUM_THREADS": "2", "PATH": "/usr/bin:/bin",
           "DDAD_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-c", PRELUDE, *args], capture_output=True,
                          text=True, cwd=PROJECT_ROOT, env=env, timeout=600)


def test_the_blocker_blocks(tmp_path):
    result = subprocess.run([sys.executable, "-c", PRELUDE.replace(
        "from ddad_lite.cli.main import main", "import ipywidgets")], capture_output=True,
        text=True, env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0 and "blocked" in result.stderr


def test_distill_and_report_run_without_the_notebook_extras(tmp_path, smoke_teacher_cache):
    # The smoke teacher comes from the session's cache (test_gpu_reproduce trains one under
    # the same blocker): what this test guards is the run and its report without the extras.
    copy_teacher_cache(smoke_teacher_cache, tmp_path / "cache" / "teachers")
    out = tmp_path / "run"
    result = run_torch_only("distill", "--profile", "smoke", "--out", str(out),
                            "--no-progress", cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "finished"
    for name in ("report.html", "report.png", "history.json", "snapshots.pt"):
        assert (out / name).stat().st_size > 0, name
    (out / "report.html").unlink()
    result = run_torch_only("report", str(out), cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    assert (out / "report.html").stat().st_size > 1000
