"""A kernel manager for the notebook runner whose client never sleeps through a message.

Executing a notebook, nbclient waits for the kernel's reply with one long `poll` of the zmq
socket (up to the cell's timeout). Now and then, typically on a cell that displays widgets,
that `poll` is not woken when the reply arrives (jupyter/nbclient#312): the kernel is idle, the
reply sits in the socket, and the run stalls until the cell's timeout, here ten minutes or
more. The channels below wait in slices of at most `POLL_SLICE` seconds, looking at the socket
again after each, so a missed wake-up costs at most that long. Nothing else changes.

    pm.execute_notebook(..., kernel_manager_class=PollingKernelManager)
"""

from __future__ import annotations

import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, Type

POLL_SLICE = 1.0  # seconds


class PollingChannel(AsyncZMQSocketChannel):
    """`get_msg(timeout)` that polls the socket in short slices until `timeout` has passed."""

    async def get_msg(self, timeout: float | None = None) -> dict:  # type: ignore[override]
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE if deadline is None else deadline - time.monotonic()
            if await self.socket.poll(int(max(0.0, min(POLL_SLICE, left)) * 1000)):
                return await self._recv()
            if deadline is not None and time.monotonic() >= deadline:
                raise Empty


class PollingKernelClient(AsyncKernelClient):
    shell_channel_class = Type(PollingChannel)
    iopub_channel_class = Type(PollingChannel)


class PollingKernelManager(AsyncKernelManager):
    client_class = DottedObjectName("ddad_lite.series.kernel_client.PollingKernelClient")
    client_factory = Type(klass="ddad_lite.series.kernel_client.PollingKernelClient")
