"""The image browser responds in a live kernel the way JupyterLab drives it.

JupyterLab shows a widget from the `comm_open` messages the kernel sends when it is
displayed, and when the user moves a slider it sends the kernel a `comm_msg` with
{"method": "update", "state": {"index": ...}}. This test speaks that protocol to a real
kernel of this interpreter: it displays a snapshot browser, moves its slider and picks a class
in its filter as JupyterLab would, and checks that the kernel sends back a new picture and
caption. (What the browser draws is tested in test_viz.py.)
"""

import queue
import time

import pytest

pytest.importorskip("ipykernel")
jupyter_client = pytest.importorskip("jupyter_client")

from ddad_lite.runner.reproduce import KERNEL_NAME, this_interpreter_kernel  # noqa: E402

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


def test_browser_answers_slider_and_filter_like_in_jupyterlab(tmp_path):
    with this_interpreter_kernel(tmp_path):
        km, kc = jupyter_client.manager.start_new_kernel(kernel_name=KERNEL_NAME,
                                                         startup_timeout=120)
    try:
        shown = replies(kc, kc.execute(SHOW_BROWSER))
        assert not [m for m in shown if m["msg_type"] == "error"], shown
        models = {}
        for m in shown:
            if m["msg_type"] == "comm_open" and m["content"]["target_name"] == "jupyter.widget":
                state = m["content"]["data"]["state"]
                models.setdefault(state["_model_name"], []).append(m["content"]["comm_id"])
        assert any(m["msg_type"] == "display_data" and
                   "application/vnd.jupyter.widget-view+json" in m["content"]["data"]
                   for m in shown), "nothing for JupyterLab to render"
        (slider,), (dropdown,) = models["SelectionSliderModel"], models["DropdownModel"]
        (image,), (caption,) = models["ImageModel"], models["HTMLModel"]
        pictures = [bytes(b) for m in shown if m["content"].get("comm_id") == image
                    for b in m["buffers"]]
        first_png = pictures[-1]  # what JupyterLab draws when the cell has run
        assert first_png.startswith(b"\x89PNG")

        # The user drags the slider to the first snapshot.
        answer = replies(kc, frontend_update(kc, slider, {"index": 0}))
        new_pictures = [bytes(b) for m in updates(answer, image) for b in m["buffers"]]
        assert new_pictures and new_pictures[-1] != first_png
        captions = [m["content"]["data"]["state"].get("value", "")
                    for m in updates(answer, caption)]
        assert any("iteration 10" in c for c in captions), captions

        # The user keeps only the images the teacher calls "star" (class 2 of 3).
        answer = replies(kc, frontend_update(kc, dropdown, {"index": 3}))
        captions = [m["content"]["data"]["state"].get("value", "")
                    for m in updates(answer, caption)]
        assert any("T star" in c and "T circle" not in c for c in captions), captions
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
