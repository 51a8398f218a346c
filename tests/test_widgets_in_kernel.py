"""The image browsers respond in a live kernel the way JupyterLab drives them.

JupyterLab shows a widget from the `comm_open` messages the kernel sends when it is
displayed, and when the user moves a slider it sends the kernel a `comm_msg` with
{"method": "update", "state": {"index": ...}}. These tests speak that protocol to a real
kernel of this interpreter: they display a snapshot browser (and a segmentation run's mask
browser), move the slider and pick a class in the filter as JupyterLab would, and check that
the kernel sends back a new picture and caption. (What the browsers draw is tested in
test_viz.py and test_segmentation.py.)
"""

import queue
import time

import pytest

pytest.importorskip("ipykernel")
jupyter_client = pytest.importorskip("jupyter_client")

from ddad_lite.series.kernel import KERNEL_NAME, KERNELSPEC  # noqa: E402
from ddad_lite.series.reproduce import this_interpreter_kernel  # noqa: E402

SHOW_BROWSER = """
import torch
from IPython.display import display

import ddad_lite.viz as viz

g = torch.Generator().manual_seed(0)
snapshots = [{"iteration": 10 * (k + 1),
              "images": torch.randint(0, 256, (8, 3, 8, 8), dtype=torch.uint8, generator=g),
              "teacher_pred": torch.arange(8) % 3, "student_pred": (torch.arange(8) + k) % 3,
              "teacher_conf": torch.rand(8, generator=g),
              "student_conf": torch.rand(8, generator=g), "teacher_class_entropy": 0.9}
             for k in range(3)]
display(viz.snapshot_browser(snapshots, class_names=["circle", "square", "star"]))
"""


SHOW_MASK_BROWSER = """
import torch
from IPython.display import display

import ddad_lite.viz as viz
from ddad_lite.data import dataset_info

g = torch.Generator().manual_seed(0)
masks = [{"iteration": 10 * (k + 1),
          "images": torch.randint(0, 256, (3, 3, 8, 8), dtype=torch.uint8, generator=g),
          "teacher_pred": torch.randint(0, 6, (3, 8, 8), generator=g).to(torch.uint8),
          "student_pred": torch.randint(0, 6, (3, 8, 8), generator=g).to(torch.uint8)}
         for k in range(2)]
display(viz.mask_browser(masks, dataset_info("scenes"), n=3))
"""


def replies(kc, parent_id, timeout=60.0):
    """The iopub messages caused by the shell message `parent_id`, until the kernel is idle."""
    out, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != parent_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return out
        out.append(msg)
    raise AssertionError("the kernel did not answer in time")


def frontend_update(kc, comm_id, state):
    """What JupyterLab sends when the user changes a widget."""
    msg = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": {
        "method": "update", "state": state, "buffer_paths": []}})
    kc.shell_channel.send(msg)
    return msg["header"]["msg_id"]


def updates(messages, comm_id):
    return [m for m in messages if m["msg_type"] == "comm_msg"
            and m["content"]["comm_id"] == comm_id
            and m["content"]["data"].get("method") in ("update", "echo_update")]


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    with this_interpreter_kernel(tmp_path_factory.mktemp("kernel")):
        km, kc = jupyter_client.manager.start_new_kernel(kernel_name=KERNEL_NAME,
                                                         startup_timeout=120)
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_the_kernel_reports_what_every_committed_notebook_holds(kernel):
    """JupyterLab copies language_info and the spec's names into a notebook on opening and marks
    it modified when they differ: the committed metadata must equal what the kernel reports."""
    import json

    from ddad_lite.paths import NOTEBOOKS_DIR
    from ddad_lite.series.kernel import kernel_spec

    kernel.kernel_info()
    reply = kernel.get_shell_msg(timeout=60)["content"]
    assert "version" not in reply["language_info"]
    notebooks = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    assert notebooks
    for path in notebooks:
        metadata = json.loads(path.read_text())["metadata"]
        assert metadata["language_info"] == reply["language_info"], path.name
        assert metadata["kernelspec"] == KERNELSPEC, path.name
    assert kernel_spec()["display_name"] == KERNELSPEC["display_name"]


def display_widget(kc, code):
    """Run `code` (which displays a browser); its widget models by name and the first PNG."""
    shown = replies(kc, kc.execute(code))
    assert not [m for m in shown if m["msg_type"] == "error"], shown
    models = {}
    for m in shown:
        if m["msg_type"] == "comm_open" and m["content"]["target_name"] == "jupyter.widget":
            state = m["content"]["data"]["state"]
            models.setdefault(state["_model_name"], []).append(m["content"]["comm_id"])
    assert any(m["msg_type"] == "display_data" and
               "application/vnd.jupyter.widget-view+json" in m["content"]["data"]
               for m in shown), "nothing for JupyterLab to render"
    (image,) = models["ImageModel"]
    pictures = [bytes(b) for m in shown if m["content"].get("comm_id") == image
                for b in m["buffers"]]
    first_png = pictures[-1]  # what JupyterLab draws when the cell has run
    assert first_png.startswith(b"\x89PNG")
    return models, first_png


def move_slider_to_the_first_iteration(kc, models, first_png):
    """The user drags the slider to the first snapshot: a new picture and its caption."""
    (slider,), (image,), (caption,) = (models["SelectionSliderModel"], models["ImageModel"],
                                       models["HTMLModel"])
    answer = replies(kc, frontend_update(kc, slider, {"index": 0}))
    new_pictures = [bytes(b) for m in updates(answer, image) for b in m["buffers"]]
    assert new_pictures and new_pictures[-1] != first_png
    captions = [m["content"]["data"]["state"].get("value", "")
                for m in updates(answer, caption)]
    assert any("iteration 10" in c for c in captions), captions


def test_browser_answers_slider_and_filter_like_in_jupyterlab(kernel):
    models, first_png = display_widget(kernel, SHOW_BROWSER)
    move_slider_to_the_first_iteration(kernel, models, first_png)

    # The user keeps only the images the teacher calls "star" (class 2 of 3).
    (dropdown,), (caption,) = models["DropdownModel"], models["HTMLModel"]
    answer = replies(kernel, frontend_update(kernel, dropdown, {"index": 3}))
    captions = [m["content"]["data"]["state"].get("value", "")
                for m in updates(answer, caption)]
    assert any("T star" in c and "T circle" not in c for c in captions), captions


def test_mask_browser_answers_its_slider_like_in_jupyterlab(kernel):
    models, first_png = display_widget(kernel, SHOW_MASK_BROWSER)
    assert "DropdownModel" not in models
    move_slider_to_the_first_iteration(kernel, models, first_png)
