"""The notebooks' Jupyter kernel, `ddad-lite`: IPython's kernel with a fixed `language_info`.

JupyterLab copies the kernel's `language_info` and its spec's name and display name into a
notebook's metadata as soon as the kernel starts, and marks the notebook modified when they
differ from what the file holds. IPython's kernel reports the Python version in
`language_info`, which differs from machine to machine, so a committed notebook would open
modified everywhere (and autosave would then write into the repository). This kernel reports
the same `language_info` without the version; the committed notebooks hold exactly it and
the kernel spec `{"name": "ddad-lite", "display_name": "ddad-lite"}`, so opening one changes
nothing. The Python version of a run is in its provenance (`metrics.json`, results.json).

    python -m ddad_lite.series.kernel install [--user | --sys-prefix]   # register it
    python -m ddad_lite.series.kernel -f CONNECTION_FILE                # what Jupyter runs
    python -m ddad_lite.series.kernel metadata   # the notebooks' metadata, for `make notebooks`
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
from pathlib import Path

KERNEL_NAME = "ddad-lite"
KERNELSPEC = {"name": KERNEL_NAME, "display_name": KERNEL_NAME, "language": "python"}
LANGUAGE_INFO = {"name": "python", "mimetype": "text/x-python", "file_extension": ".py",
                 "pygments_lexer": "ipython3", "codemirror_mode": {"name": "ipython", "version": 3},
                 "nbconvert_exporter": "python"}


def notebook_metadata() -> dict:
    """The metadata of every committed notebook, as `jupytext --update-metadata` takes it: the
    kernel spec and its `language_info`, and no `jupytext` key (null removes it: the pairing is
    notebooks/jupytext.toml's, not each notebook's)."""
    return {"kernelspec": copy.deepcopy(KERNELSPEC), "language_info": copy.deepcopy(LANGUAGE_INFO),
            "jupytext": None}


def kernel_spec(*, env: dict | None = None, extra_args: tuple = ()) -> dict:
    """The kernel.json of `ddad-lite` for this interpreter."""
    spec = {"argv": [sys.executable, "-m", "ddad_lite.series.kernel", "-f",
                     "{connection_file}", *extra_args],
            "display_name": KERNELSPEC["display_name"], "language": "python",
            "metadata": {"debugger": True}}
    if env:
        spec["env"] = dict(env)
    return spec


def install(*, user: bool = False, prefix: str | None = None) -> str:
    """Register the kernel spec for this interpreter; returns the folder it was written to."""
    from jupyter_client.kernelspec import KernelSpecManager  # optional extra: notebooks

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "kernel.json").write_text(json.dumps(kernel_spec(), indent=1) + "\n")
        return KernelSpecManager().install_kernel_spec(folder, KERNEL_NAME, user=user,
                                                       prefix=prefix)


def launch(argv: list[str]) -> None:
    """Run the kernel (what Jupyter starts, with `-f CONNECTION_FILE`)."""
    from ipykernel.ipkernel import IPythonKernel  # optional extra: notebooks
    from ipykernel.kernelapp import IPKernelApp  # optional extra: notebooks

    class LessonKernel(IPythonKernel):
        language_info = copy.deepcopy(LANGUAGE_INFO)

    IPKernelApp.launch_instance(argv=argv, kernel_class=LessonKernel)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["metadata"]:
        print(json.dumps(notebook_metadata()))
        return
    if argv[:1] != ["install"]:
        launch(argv)
        return
    parser = argparse.ArgumentParser(prog="python -m ddad_lite.series.kernel install",
                                     description="Register the notebooks' kernel `ddad-lite`.")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="for this user (~/.local/share)")
    where.add_argument("--sys-prefix", action="store_true",
                       help="inside this environment (sys.prefix; the default of make venv)")
    args = parser.parse_args(argv[1:])
    folder = install(user=args.user, prefix=sys.prefix if args.sys_prefix else None)
    print(f"kernel {KERNEL_NAME!r} for {sys.executable} installed in {folder}")


if __name__ == "__main__":
    main()
