"""Run the equivalence tests under other CPU kernel paths and thread counts, and print a table.

    make test-kernels                  # or: .venv/bin/python tests/kernel_matrix.py [TEST ...]

Each setting is one pytest process with its environment: ATEN_CPU_CAPABILITY picks ATen's
vectorised kernels (default, avx2; unset: the best the CPU has, e.g. avx512), ONEDNN_MAX_CPU_ISA
caps oneDNN's convolutions and matmuls, OMP_NUM_THREADS the threads (conftest honours it). A
test that proves mathematics must pass under all of them; one that passes under one setting
only is asserting a kernel's rounding. Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The tests whose claim is "the same computation" (kit vs a paper's reference step, two ranks
# vs one process) and that fit a few minutes per setting on 2 cores; name others as arguments.
TESTS = [
    "tests/test_distributed.py::test_two_ranks_with_half_batches_are_one_process_with_the_whole",
    "tests/test_reference_deepinv.py",
]

SETTINGS = {  # name: environment over the inherited one (None: removed)
    "avx512 (unset), 2 thr": dict(ATEN_CPU_CAPABILITY=None, OMP_NUM_THREADS="2"),
    "ATEN=avx2": dict(ATEN_CPU_CAPABILITY="avx2"),
    "ATEN=default": dict(ATEN_CPU_CAPABILITY="default"),
    "ONEDNN=AVX2": dict(ONEDNN_MAX_CPU_ISA="AVX2"),
    "OMP=1": dict(OMP_NUM_THREADS="1"),
    "OMP=2": dict(OMP_NUM_THREADS="2"),
}


def run(setting: dict, tests: list[str], report: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in setting.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
           f"--junitxml={report}", *tests]
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname').rsplit('.', 1)[-1]}::{case.get('name')}"
        bad = case.find("failure") is not None or case.find("error") is not None
        outcomes[name] = ("FAIL" if bad else "skip" if case.find("skipped") is not None
                          else "pass")
    return outcomes


def main(argv: list[str]) -> int:
    tests = argv or TESTS
    out = ROOT / "runs" / "kernel-matrix"
    out.mkdir(parents=True, exist_ok=True)
    columns = {}
    for i, (name, setting) in enumerate(SETTINGS.items()):
        start = time.monotonic()
        columns[name] = run(setting, tests, out / f"setting{i}.xml")
        print(f"{name}: {time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
    rows = sorted({test for col in columns.values() for test in col})
    width = max(len(r) for r in rows)
    print(f"{'test':<{width}} | " + " | ".join(columns))
    failed = False
    for row in rows:
        cells = [col.get(row, "-").center(len(name)) for name, col in columns.items()]
        failed |= any(c.strip() == "FAIL" for c in cells)
        print(f"{row:<{width}} | " + " | ".join(cells))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
