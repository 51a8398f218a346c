"""A real browser on a real JupyterLab, for the browser tests (tests/test_browser_*.py).

`lab_server` starts JupyterLab on a free local port with a token (no browser of its own,
`--allow-root` when root) over a folder, with the kit's `ddad-lite` kernel pointing at this
interpreter; `chromium_page` opens Debian's chromium (launched by path: Playwright never
downloads a browser here) and records console errors and page errors. `missing()` says in one
line what to install when either is absent, so the tests skip instead of failing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = PROJECT_ROOT / "runs" / "browser"
CHROMIUM = os.environ.get("DDAD_CHROMIUM", "/usr/bin/chromium")


def missing() -> str | None:
    """None when the browser tests can run, else one line saying what to install."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return ("the browser tests need Playwright: pip install -c constraints.txt -e "
                "'.[browser]' (and chromium: apt-get install chromium)")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return (f"the browser tests need chromium at {CHROMIUM}: apt-get install chromium "
                "(or set DDAD_CHROMIUM to its path)")
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def lab_server(root: Path, *, log: Path):
    """JupyterLab serving `root`; yields its base URL and token. Stopped (by its process id)
    on exit."""
    from ddad_lite.series.reproduce import this_interpreter_kernel

    port, token = free_port(), secrets.token_hex(16)
    with this_interpreter_kernel(root / ".kernels"):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
            "JUPYTER_CONFIG_DIR": str(root / ".jupyter-config"),
            "JUPYTERLAB_SETTINGS_DIR": str(root / ".lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(root / ".lab-workspaces"),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
                   "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
                   f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
                   "--LabApp.news_url=", "--LabApp.check_for_updates_class="
                   "jupyterlab.NeverCheckForUpdate"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        news = root / ".lab-settings" / "@jupyterlab" / "apputils-extension"
        news.mkdir(parents=True, exist_ok=True)  # no "get notified about Jupyter news?" toast
        (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
        notebook = root / ".lab-settings" / "@jupyterlab" / "notebook-extension"
        notebook.mkdir(parents=True, exist_ok=True)  # every cell in the page, none virtual
        (notebook / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
        with open(log, "w") as out:
            process = subprocess.Popen(command, cwd=root, env=env, stdout=out,
                                       stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"JupyterLab did not start; see {log}") from None
                    time.sleep(0.5)
            yield url, token
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class ConsoleErrors(list):
    """The console errors and uncaught page errors a page reported, as text."""

    def watch(self, page):
        page.on("console", lambda m: self.append(f"console: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.append(f"request failed: {r.url}")
                if not r.url.startswith(("data:", "blob:"))
                and "ERR_ABORTED" not in (r.failure or "") else None)  # aborted: we moved on
        return self


@contextlib.contextmanager
def chromium_page(*, width: int = 1400, height: int = 1000):
    """A page of a headless chromium (the system binary) and the list of its errors."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu",
                                          "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            errors = ConsoleErrors().watch(page)
            yield page, errors
        finally:
            browser.close()


def smoke_copy(notebook: Path, folder: Path) -> Path:
    """A copy of `notebook` in `folder` (a `notebooks/` folder, so the kit's paths resolve
    beside it) with papermill's parameters for the smoke profile injected, unexecuted."""
    import nbformat
    from nbformat.v4 import new_code_cell

    nb = nbformat.read(notebook, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    injected = new_code_cell('# Parameters\nprofile = "smoke"')
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(at + 1, injected)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / notebook.name
    nbformat.write(nb, target)
    return target


def open_notebook(page, url: str, token: str, relative: str):
    """Open a notebook in JupyterLab and wait until its kernel is idle."""
    page.goto(f"{url}/lab/tree/{relative}?reset&token={token}")  # reset: no other tabs
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)
    wait_idle(page)


def kernel_status(page) -> str:
    return page.locator(".jp-NotebookPanel-toolbar .jp-Toolbar-kernelStatus, "
                        ".jp-NotebookPanel-toolbar [data-jp-item-name='executionProgress']"
                        ).first.get_attribute("title") or ""


def wait_idle(page, *, timeout_s: float = 600):
    """Wait until the kernel reports idle and no code cell is waiting or running."""
    deadline = time.monotonic() + timeout_s
    settle = time.monotonic() + 3  # a run just asked for may not show as busy at once
    while time.monotonic() < deadline:
        busy = page.evaluate("""() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                .map(e => e.textContent);
            const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
            const title = status ? (status.getAttribute('data-status') || '') : '';
            return {running: prompts.filter(p => p.includes('*')).length, status: title};
        }""")
        if busy["running"] == 0 and busy["status"] == "idle" and time.monotonic() > settle:
            return
        time.sleep(1)
    raise TimeoutError("the kernel stayed busy")


def run_all(page, *, timeout_s: float = 600):
    """Run > Run All Cells, then wait until every code cell has run and the kernel is idle."""
    page.locator(".jp-NotebookPanel .jp-Cell .jp-InputPrompt").first.click()  # the notebook
    # is the current widget, else the Run menu's entries are disabled
    page.locator("li.lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item:not(.lm-mod-disabled)", has_text="Run All Cells").first.click()
    # Under load the click may take seconds to reach the kernel: wait until a cell is queued.
    page.wait_for_function("""() => [...document.querySelectorAll(
        '.jp-CodeCell .jp-InputPrompt')].some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))""",
        timeout=120_000)
    wait_idle(page, timeout_s=timeout_s)


def is_dirty(page) -> bool:
    """Whether JupyterLab marks the open notebook modified."""
    return page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count() > 0


def error_outputs(page) -> list[str]:
    """The text of every error output (a traceback) in the open notebook, and the prompts of
    code cells that never ran."""
    return page.evaluate("""() => {
        const found = [];
        for (const e of document.querySelectorAll('.jp-OutputArea-output[data-mime-type=\
"application/vnd.jupyter.stderr"]')) {
            if (/Traceback|Error:/.test(e.textContent)) found.push(e.textContent.slice(0, 400));
        }
        document.querySelectorAll('.jp-CodeCell .jp-InputPrompt').forEach(p => {
            if (!/\\[\\d+\\]/.test(p.textContent)) found.push('not run: ' + p.textContent);
        });
        return found;
    }""")
